# t/debian-root.sh: sourced by t/conf-load and t/install-debian.
# A scratch copy of Debian's /etc/apache2 layout under one folder, run with
# `apache2ctl` / `apache2 -d` through APACHE_CONFDIR (and a2enmod's markers
# through APACHE_STATE_DIRECTORY), so a2enmod, apache2ctl and the files they
# name never touch the machine's own /etc/apache2, /var/run, /var/log or
# /var/lib.
#
#   debian_root ROOT PORT    ROOT/etc/apache2 (a copy of /etc/apache2 with
#                            its run, lock and log folders under ROOT and
#                            one Listen 127.0.0.1:PORT), exported as
#                            APACHE_CONFDIR; a2enmod's state folder
#                            ROOT/var/lib/apache2 as APACHE_STATE_DIRECTORY
#   debian_skip_reason       why this machine cannot run these tests, or
#                            nothing
#   free_port                an unused TCP port on 127.0.0.1

debian_skip_reason() {
    for f in /etc/apache2/apache2.conf /etc/apache2/envvars \
             /usr/sbin/apache2ctl /usr/sbin/a2enmod; do
        [ -e "$f" ] || { echo "no $f (Debian's apache2 package is not installed)"; return; }
    done
    command -v apache2 >/dev/null 2>&1 || [ -x /usr/sbin/apache2 ] ||
        { echo "no apache2 binary"; return; }
}

free_port() {
    perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(LocalAddr =>
        "127.0.0.1", LocalPort => 0, Listen => 1)->sockport'
}

debian_root() {
    _root=$1 _port=$2
    mkdir -p "$_root/etc" "$_root/var/run/apache2" "$_root/var/lock/apache2" \
        "$_root/var/log/apache2"
    cp -a /etc/apache2 "$_root/etc/apache2"
    # the machine's own mod_sms, if any, is not the one under test
    rm -f "$_root"/etc/apache2/mods-available/sms.* \
        "$_root"/etc/apache2/mods-enabled/sms.* \
        "$_root"/etc/apache2/conf-enabled/*sms*
    sed -i -e "s|/var/run/apache2|$_root/var/run/apache2|g" \
        -e "s|/var/lock/apache2|$_root/var/lock/apache2|g" \
        -e "s|/var/log/apache2|$_root/var/log/apache2|g" \
        "$_root/etc/apache2/envvars"
    printf 'ServerName 127.0.0.1\nListen 127.0.0.1:%s\n' "$_port" \
        > "$_root/etc/apache2/ports.conf"
    # the children reach the scratch root (mktemp -d makes it 0700)
    chmod 755 "$_root"
    # a2enmod keeps "enabled by admin" markers in the state folder
    mkdir -p "$_root/var/lib/apache2"
    APACHE_CONFDIR=$_root/etc/apache2
    APACHE_STATE_DIRECTORY=$_root/var/lib/apache2
    export APACHE_CONFDIR APACHE_STATE_DIRECTORY
}
