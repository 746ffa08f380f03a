#!/usr/bin/env bash
# check_layers.sh: the dependency direction agent -> platform -> core and
# collector -> platform -> core (the collector's probe fetches with the
# platform's code), checked two ways.
#  1. The compiler: with the include directories CMake gives each layer
#     (passed in as LAYER=DIR;DIR...), a header of a layer above must not be
#     found and one of its own layers must be.
#  2. The text: every #include "..." of core/, platform/, collector/ and
#     installer/ must resolve (beside the file, then in the layer's
#     directories) to a header inside the directories the layer may see,
#     so that a relative path such as "../../agent/run.h" cannot go around
#     the include directories.
# Usage: check_layers.sh SRC CC core=DIRS platform=DIRS collector=DIRS
set -u

src=$1
cc=$2
shift 2
declare -A dirs
for arg in "$@"; do
	dirs[${arg%%=*}]=${arg#*=}
done
fail=0
probe=$(mktemp -d "${TMPDIR:-/tmp}/uct-layers.XXXXXX")
trap 'rm -rf "$probe"' EXIT

# The -I options of a layer (a CMake list: ';' between directories).
iflags() {
	local d out=()
	IFS=';' read -ra list <<<"${dirs[$1]}"
	for d in "${list[@]}"; do [ -n "$d" ] && out+=("-I$d"); done
	printf '%s\n' "${out[@]}"
}

# compiles LAYER HEADER WANT: WANT is yes when the layer must see HEADER.
compiles() {
	local flags got=no
	mapfile -t flags < <(iflags "$1")
	printf '#include "%s"\n' "$2" >"$probe/probe.c"
	"$cc" -fsyntax-only -D_GNU_SOURCE "${flags[@]}" "$probe/probe.c" -o /dev/null \
		>/dev/null 2>&1 && got=yes
	if [ "$got" != "$3" ]; then
		echo "FAIL: the $1 layer $([ "$3" = yes ] && echo cannot || echo can) include $2"
		fail=1
	fi
}

compiles core uct.h yes
compiles core platform.h no
compiles core run.h no
compiles core col.h no
compiles platform platform.h yes
compiles platform log.h yes
compiles platform run.h no
compiles platform config.h no
compiles collector col.h yes
compiles collector uct_ini.h yes
compiles collector platform.h yes
compiles collector uct_endpoints.h yes
compiles collector config.h no
compiles collector run.h no

# allowed FILE: the roots the file's layer may include from.
allowed() {
	case $1 in
	core/*) echo "$src/core" ;;
	platform/*) echo "$src/platform $src/core" ;;
	collector/*) echo "$src/collector $src/platform $src/core" ;;
	installer/*) echo "$src/installer $src/platform $src/core" ;;
	esac
}

# Where the compiler would find header h included from file f (quote
# form: f's directory first, then the layer's roots); empty when nowhere.
resolve() {
	local f=$1 h=$2 d
	for d in "$(dirname "$src/$f")" $(allowed "$f"); do
		[ -f "$d/$h" ] && { realpath "$d/$h"; return; }
	done
}

cd "$src" || exit 2
while IFS= read -r f; do
	while IFS= read -r h; do
		path=$(resolve "$f" "$h")
		ok=no
		for root in $(allowed "$f"); do
			case $path in "$root"/*) ok=yes ;; esac
		done
		if [ -z "$path" ]; then
			echo "FAIL: $f includes \"$h\", which is not in its layer's directories ($(allowed "$f"))"
			fail=1
		elif [ $ok = no ]; then
			echo "FAIL: $f includes \"$h\" from ${path#"$src"/}, outside its layer"
			fail=1
		fi
	done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
done < <(find core platform collector installer -name '*.[ch]' | sort)

[ $fail -eq 0 ] && echo "ok: agent -> platform -> core and collector -> platform -> core"
exit $fail
