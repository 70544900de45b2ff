#!/bin/sh
# check-layers.sh [ROOT]: the layering rule of STYLE.md, from the #include
# lines of ROOT/src (default: this checkout). Folders rank
#   core < net, store < svc < http < api < the composition root (src/*.c)
# and a file may include only its own folder or one ranked below it; two
# folders of the same rank (net, store) must not include each other. Prints
# every offending include and exits 1, else exits 0 silently.
root=${1:-$(dirname "$0")/..}
cd "$root/src" || exit 2

rank() {
	case $1 in
	core) echo 0 ;;
	net | store) echo 1 ;;
	svc) echo 2 ;;
	http) echo 3 ;;
	api) echo 4 ;;
	.) echo 5 ;;
	*) echo unknown ;;
	esac
}

bad=0
# one "file folder target-folder" line per quoted include that leaves its folder
edges=$(grep -H '^#include "' $(find . -name '*.[ch]') | sed -n \
	-e 's|^\./\([^/:]*\):#include "\([a-z_]*\)/.*|\1 . \2|p' \
	-e 's|^\./\([a-z_]*\)/[^/:]*:#include "\.\./\([a-z_]*\)/.*|& \1 \2|p' |
	sed 's|^\(\./[^:]*\):#include "\([^"]*\)".* \([a-z_.]*\) \([a-z_]*\)$|\1:\2 \3 \4|')
while read -r where from to; do
	[ -n "$where" ] || continue
	rf=$(rank "$from")
	rt=$(rank "$to")
	if [ "$rf" = unknown ] || [ "$rt" = unknown ]; then
		echo "check-layers: $where: folder $from or $to has no rank in scripts/check-layers.sh"
		bad=1
	elif [ "$rt" -gt "$rf" ]; then
		echo "check-layers: $where: $from/ includes $to/, a layer above it"
		bad=1
	elif [ "$rt" -eq "$rf" ] && [ "$from" != "$to" ]; then
		echo "check-layers: $where: $from/ and $to/ are peers; neither may include the other"
		bad=1
	fi
done <<END
$edges
END
exit $bad
