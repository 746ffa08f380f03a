#!/usr/bin/env bash
# test_wine_names.sh: certificates whose names hold NULs, line breaks,
# terminal escapes, bidi controls and bytes that are not UTF-8 are read
# alike by the crypt32 parser (the Windows build under Wine) and the
# OpenSSL one: every such name is kept in the same escaped form, which
# never matches a host.
. "$(dirname "$0")/lib.sh"

. "$(dirname "$0")/wine_lib.sh"
wine_require "$WIN/uct-certdump.exe"

ORG=$'\u202eorg\u2066' named_cert ugly evil.lab.example evil.lab.example \
	'\xff\xfe\xc0\xaf.lab.example' '\x1b]0;owned\x07\x1b[2J' 'a\u202eelpmaxe.lab.example' \
	'line\u2028two' 'nul\x00.lab.example' 'x\nseen\tuccx1.lab.example:8445\t'
named_cert plain uccx1.lab.example uccx1.lab.example '*.lab.example'
files=("$T_WORK/ugly.pem" "$T_WORK/plain.pem")

"$BUILD/uct-certdump" "${files[@]}" >"$T_WORK/dump-linux"
timeout 240 wine "$WIN/uct-certdump.exe" "${files[@]}" 2>/dev/null | tr -d '\r' >"$T_WORK/dump-win" || true
check "crypt32 and OpenSSL give the same fields for hostile names" diff "$T_WORK/dump-linux" "$T_WORK/dump-win"
check "... names kept escaped" grep -qF 'san_dns: evil.lab.example \xFF\xFE\xC0\xAF.lab.example \x1B]0;owned\x07\x1B[2J a\u{202E}elpmaxe.lab.example line\u{2028}two nul\x00.lab.example x\x0Aseen\x09uccx1.lab.example:8445\x09' "$T_WORK/dump-win"
check "... the subject too" grep -qF 'subject: CN=evil.lab.example,O=Lab \u{202E}org\u{2066}' "$T_WORK/dump-win"
check "... ordinary names unchanged" grep -qF 'san_dns: uccx1.lab.example *.lab.example' "$T_WORK/dump-win"

finish
