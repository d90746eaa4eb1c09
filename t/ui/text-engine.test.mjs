// The browser's text engine (mod_sms/ui/sms-text.js) against every shared
// vector of t/data/text_vectors.json, the same file the C engine passes.
// Run: node --test t/ui/text-engine.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { analyse, encodingLabel } from '../../mod_sms/ui/sms-text.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const data = process.env.SMS_TEST_DATA || `${here}../data`;
const { cases } = JSON.parse(readFileSync(`${data}/text_vectors.json`, 'utf8'));

test('the vector file is not empty', () => {
    assert.ok(cases.length > 400, `only ${cases.length} vectors`);
});

for (const v of cases) {
    test(v.name, () => {
        const input = v.hex !== undefined
            ? Uint8Array.from(Buffer.from(v.hex, 'hex')) : v.text;
        const opts = { smart: v.smart, maxParts: v.max_parts };
        if (v.expect_error) {
            assert.throws(() => analyse(input, opts),
                          (e) => e.code === v.expect_error);
            return;
        }
        const got = analyse(input, opts);
        const want = v.expect;
        for (const k of Object.keys(want)) {
            assert.deepEqual(got[k], want[k], `${k}`);
        }
        // the same text as UTF-8 bytes counts alike
        if (v.hex === undefined) {
            const bytes = new TextEncoder().encode(v.text);
            assert.deepEqual(analyse(bytes, opts).parts, want.parts);
        }
    });
}

test('a lone surrogate is not message text', () => {
    assert.throws(() => analyse('a\ud800b'), (e) => e.code === 'invalid_message');
});

test('the counter says Unicode for UCS-2', () => {
    assert.equal(encodingLabel(analyse('Zoë 😀').encoding), 'Unicode');
    assert.equal(encodingLabel(analyse('Café à 10:30').encoding), 'GSM-7');
});
