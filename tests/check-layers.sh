#!/usr/bin/env bash
# The layers of src/ depend one way (docs/internals.md): a file of a layer
# may include headers of its own layer and of the layers it is allowed to
# use, nothing else; the pure http/ layer includes no libevent header.
# Usage: tests/check-layers.sh <source dir>. Prints each wrong arrow.
set -euo pipefail
cd "$1"

declare -A allowed=(
    [util]="util"
    [http]="http util"
    [keys]="keys util"
    [store]="store util"
    [remote]="remote store util"
    [symstore]="symstore remote store keys util"
    [daemon]="daemon http remote store util"
    [tools]="symstore remote store keys util"
)

bad=0
for layer in "${!allowed[@]}"; do
    if [ "$layer" = tools ]; then dirs=(tools); else
        dirs=("src/$layer" "include/$layer"); fi
    for d in "${dirs[@]}"; do
        [ -d "$d" ] || continue
        while IFS=: read -r file _ inc; do
            dep=${inc#*\"}
            dep=${dep%%/*}
            case " ${allowed[$layer]} " in
            *" $dep "*) ;;
            *)
                echo "$file: layer $layer may not include $dep/ ($inc)"
                bad=1
                ;;
            esac
        done < <(grep -Hn '^#include "[a-z]*/' -r "$d" || true)
    done
done
if grep -rn '^#include <event2/' src/http include/http; then
    echo "http/ is pure: no libevent"
    bad=1
fi
[ "$bad" -eq 0 ] && echo "layers: every include points down"
exit "$bad"
