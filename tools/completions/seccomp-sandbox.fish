# fish completion for seccomp-sandbox, installed as
# share/fish/vendor_completions.d/seccomp-sandbox.fish (make install).
# Completes the options of `seccomp-sandbox --help`, --profile with profile files and
# bundled names, --mode with enforce and complain, and COMMAND with its own completion.

# The bundled profile names, where seccomp-sandbox looks for them: $SECCOMP_FORGE_PROFILES,
# then PREFIX/share/seccomp-forge/profiles beside the binary, then profiles/ in the
# checkout it was built in.
function __seccomp_sandbox_bundled
    set -l dirs
    set -q SECCOMP_FORGE_PROFILES; and set -a dirs $SECCOMP_FORGE_PROFILES
    set -l binary (commandline -opc)[1]
    string match -q -- '*/*' $binary; or set binary (command -s -- $binary)
    if test -n "$binary"
        set -l dir (path dirname -- (path resolve -- $binary))
        set -a dirs (path dirname -- $dir)/share/seccomp-forge/profiles
        for i in 1 2 3 4
            set dir (path dirname -- $dir)
            set -a dirs $dir/profiles
        end
    end
    # A value with a slash is a file; one without is a bundled name.
    string match -q -- '*/*' (commandline -ct); and return
    for dir in $dirs
        for file in $dir/*.json
            test -f $file; and printf '%s\tbundled profile\n' (path change-extension '' -- (path basename -- $file))
        end
    end | sort -u
end

# The command line from COMMAND on (after --, or from the first word that is neither an
# option nor an option's value), the word being completed included; nothing before COMMAND.
function __seccomp_sandbox_command
    set -l tokens (commandline -opc) (commandline -ct)
    set -l count (count (commandline -opc))
    set -l i 2
    while test $i -le $count
        switch $tokens[$i]
            case --
                set i (math $i + 1)
                break
            case --profile -p --mode --update
                set i (math $i + 1)
            case '-*'
            case '*'
                break
        end
        set i (math $i + 1)
    end
    test $i -le $count; or return 1
    printf '%s\n' $tokens[$i..-1]
end

# Profile files (NAME.json) and directories, for --profile.
function __seccomp_sandbox_json_files
    set -l matches (commandline -ct)*
    for file in $matches
        if test -d $file
            printf '%s/\tdirectory\n' $file
        else if string match -q -- '*.json' $file
            printf '%s\tprofile file\n' $file
        end
    end
end

function __seccomp_sandbox_in_command
    __seccomp_sandbox_command >/dev/null
end

function __seccomp_sandbox_complete_command
    __fish_complete_subcommand --commandline (__seccomp_sandbox_command)
end

set -l options 'not __seccomp_sandbox_in_command'
complete -c seccomp-sandbox -f
complete -c seccomp-sandbox -n $options -s p -l profile -x -k -a '(__seccomp_sandbox_bundled) (__seccomp_sandbox_json_files)' \
    -d 'A profile file (a path: ./p.json), or a bundled name'
complete -c seccomp-sandbox -n $options -l mode -x -a 'enforce\t"the profile as written, enforced by the kernel (default)" complain\t"allow everything the profile would deny, and list it with counts"' \
    -d 'enforce or complain'
complete -c seccomp-sandbox -n $options -l update -r -F -d 'With complain mode: write the profile plus the calls it lacked'
complete -c seccomp-sandbox -n $options -s v -l verbose -d 'Also report calls failed with an errno'
complete -c seccomp-sandbox -n $options -l print-filter -d 'Print the compiled filter (disassembly) and exit'
complete -c seccomp-sandbox -n $options -l dry-run -d 'Check and compile the profile, and that COMMAND could start; run nothing'
complete -c seccomp-sandbox -n $options -l version -d 'Print the version and exit'
complete -c seccomp-sandbox -n $options -s h -l help -d 'Print the usage and exit'
complete -c seccomp-sandbox -n $options -a '(__fish_complete_command)'
complete -c seccomp-sandbox -n __seccomp_sandbox_in_command -a '(__seccomp_sandbox_complete_command)'
