#compdef seccomp-sandbox
# zsh completion for seccomp-sandbox, installed as share/zsh/site-functions/_seccomp-sandbox
# (make install). Completes the options of `seccomp-sandbox --help`, --profile with profile
# files and bundled names, --mode with enforce and complain, and COMMAND with its own
# completion.

# The bundled profile names, where seccomp-sandbox looks for them: $SECCOMP_FORGE_PROFILES,
# then PREFIX/share/seccomp-forge/profiles beside the binary, then profiles/ in the checkout
# it was built in.
_seccomp-sandbox_profiles() {
  local binary=${words[1]} dir
  local -a dirs names
  [[ -n $SECCOMP_FORGE_PROFILES ]] && dirs+=("$SECCOMP_FORGE_PROFILES")
  [[ $binary == */* ]] || binary=${commands[$binary]}
  if [[ -n $binary ]]; then
    dir=${binary:A:h}
    dirs+=("${dir:h}/share/seccomp-forge/profiles")
    repeat 4; do
      dir=${dir:h}
      dirs+=("$dir/profiles")
    done
  fi
  for dir in $dirs; do
    names+=("$dir"/*.json(N-.:t:r))
  done
  names=(${(u)names})
  local -a alternatives=('files:profile file:_files -g "*.json(-.)"')
  # A value with a slash is a file; one without is a bundled name.
  [[ $PREFIX != */* ]] && (( $#names )) && alternatives=("bundled:bundled profile:compadd -a names" $alternatives)
  _alternative $alternatives
}

_seccomp-sandbox() {
  _arguments -S -s : \
    '(-p --profile)'{-p,--profile}'[a profile file (a path: ./p.json), or a bundled name]:profile:_seccomp-sandbox_profiles' \
    '--mode[enforce (default) or complain]:mode:((enforce\:"the profile as written, enforced by the kernel" complain\:"allow everything the profile would deny, and list it with counts"))' \
    '--update[with complain mode: write the profile plus the calls it lacked]:file:_files' \
    '(-v --verbose)'{-v,--verbose}'[also report calls failed with an errno]' \
    '--print-filter[print the compiled filter (disassembly) and exit]' \
    '--dry-run[check and compile the profile, and that COMMAND could start; run nothing]' \
    '(- :)--version[print the version and exit]' \
    '(- :)'{-h,--help}'[print the usage and exit]' \
    '(-):command:_command_names -e' \
    '*::arguments:_normal'
}

_seccomp-sandbox "$@"
