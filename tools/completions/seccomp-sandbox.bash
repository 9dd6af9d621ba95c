# bash completion for seccomp-sandbox                       -*- shell-script -*-
# Installed as share/bash-completion/completions/seccomp-sandbox (make install).
# Completes the options of `seccomp-sandbox --help`, --profile with profile files
# and bundled names, --mode with enforce and complain, and COMMAND after -- (or
# after the first word that is not an option) as a command of its own.

# The bundled profile names, where seccomp-sandbox looks for them:
# $SECCOMP_FORGE_PROFILES, then PREFIX/share/seccomp-forge/profiles beside the
# binary, then profiles/ in the checkout it was built in.
_seccomp_sandbox_bundled() {
    local binary=$1 dir file
    local -a dirs=()
    [[ -n ${SECCOMP_FORGE_PROFILES-} ]] && dirs+=("$SECCOMP_FORGE_PROFILES")
    [[ $binary == */* ]] || binary=$(type -P -- "$binary")
    if [[ -n $binary ]]; then
        binary=$(readlink -f -- "$binary" 2>/dev/null) || binary=
    fi
    if [[ -n $binary ]]; then
        dir=${binary%/*}
        dirs+=("${dir%/*}/share/seccomp-forge/profiles")
        local i
        for ((i = 0; i < 4; i++)); do
            dir=${dir%/*}
            [[ -n $dir ]] || break
            dirs+=("$dir/profiles")
        done
    fi
    for dir in "${dirs[@]}"; do
        for file in "$dir"/*.json; do
            [[ -f $file ]] || continue
            file=${file##*/}
            printf '%s\n' "${file%.json}"
        done
    done
}

_seccomp_sandbox() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
    local i command_at=0
    COMPREPLY=()

    # Where COMMAND begins: after --, or at the first word that is neither an
    # option nor an option's value (the sandbox's own parser stops there too).
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
            --) command_at=$((i + 1)); break ;;
            --profile | -p | --mode | --update) ((i++)) ;;
            -*) ;;
            *) command_at=$i; break ;;
        esac
    done
    if ((command_at > 0 && COMP_CWORD >= command_at)); then
        if ((COMP_CWORD == command_at)); then
            compopt -o filenames 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -c -- "$cur" | sort -u)
        elif declare -F _command_offset >/dev/null; then
            _command_offset "$command_at"
        else
            compopt -o default 2>/dev/null
        fi
        return 0
    fi

    case $prev in
        --profile | -p)
            compopt -o filenames 2>/dev/null
            local -a names=()
            # A value with a slash is a file; one without is a bundled name.
            if [[ $cur != */* ]]; then
                mapfile -t names < <(_seccomp_sandbox_bundled "${COMP_WORDS[0]}" | sort -u)
                mapfile -t names < <(compgen -W "${names[*]}" -- "$cur")
            fi
            mapfile -t COMPREPLY < <(compgen -f -X '!*.json' -- "$cur"; compgen -d -- "$cur")
            COMPREPLY+=("${names[@]}")
            return 0
            ;;
        --mode)
            mapfile -t COMPREPLY < <(compgen -W 'enforce complain' -- "$cur")
            return 0
            ;;
        --update)
            compopt -o filenames 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
            return 0
            ;;
    esac

    if [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W '--profile --mode --update --verbose --print-filter --dry-run --version --help --' -- "$cur")
    else
        compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -c -- "$cur" | sort -u)
    fi
    return 0
}

complete -F _seccomp_sandbox seccomp-sandbox
