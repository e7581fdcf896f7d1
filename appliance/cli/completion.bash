# bash completion for edgesip, the EdgeSIP admin command line.
# The Debian package installs it as /usr/share/bash-completion/completions/edgesip;
# elsewhere: edgesip completion > /etc/bash_completion.d/edgesip
# Extension, trunk, rule, DID and admin names come from the running daemon (edgesip ... list
# --json); when it does not answer (not running, not root) they are simply not offered.

# Options that take a value (the word after them is no positional).
_edgesip_value_options='--data-dir --password --name --max-contacts --allow --forward-always --forward-busy --forward-noanswer --forward-unavailable --noanswer-timeout --permission --type --domain --proxy --transport --username --auth-username --realm --expires --peer --uri-params --from-user --from-display --pai --from-template --to-template --pai-template --pattern --strip --prefix --trunk --class --position --extension --since --until --limit --output --cert --key --sip-port --sip-tls-port --sip-tls-min --digest-algorithms --web-port --web-redirect-port --web-tls-min --web-idle-timeout --fxs-dir'

# _edgesip_names GROUP KEY: the values of "KEY" in `edgesip GROUP list --json`.
_edgesip_names() {
    local out
    if command -v timeout >/dev/null 2>&1; then
        out=$(timeout 3 edgesip "${_edgesip_global[@]}" "$1" list --json 2>/dev/null)
    else
        out=$(edgesip "${_edgesip_global[@]}" "$1" list --json 2>/dev/null)
    fi
    [ -n "$out" ] || return 0
    printf '%s\n' "$out" | grep -o "\"$2\":\"[^\"]*\"" | sed -e "s/^\"$2\":\"//" -e 's/"$//'
}

# _edgesip_reply WORDS CUR: the words (blank or newline separated) that start with CUR.
_edgesip_reply() {
    mapfile -t COMPREPLY < <(compgen -W "$1" -- "$2")
}

_edgesip() {
    local cur prev cmd='' sub='' w i=1 nargs=0
    local -a _edgesip_global=()
    COMPREPLY=()
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=''
    [ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD-1]}

    # The command, its subcommand, how many positionals follow, and --data-dir.
    while [ "$i" -lt "$COMP_CWORD" ]; do
        w=${COMP_WORDS[i]}
        if [ "$w" = --data-dir ]; then
            if [ "${COMP_WORDS[i+1]}" = '=' ]; then i=$((i + 1)); fi
            _edgesip_global=(--data-dir "${COMP_WORDS[i+1]}")
            i=$((i + 2))
            continue
        fi
        case " $_edgesip_value_options " in
            *" $w "*)
                if [ "${COMP_WORDS[i+1]}" = '=' ]; then i=$((i + 1)); fi
                i=$((i + 2))
                continue
                ;;
        esac
        case $w in
            -* | '=') ;;
            *)
                if [ -z "$cmd" ]; then cmd=$w
                elif [ -z "$sub" ]; then sub=$w
                else nargs=$((nargs + 1))
                fi
                ;;
        esac
        i=$((i + 1))
    done

    # After '=' (--opt=value is split by COMP_WORDBREAKS) the option is the word before.
    if [ "$prev" = '=' ] && [ "$COMP_CWORD" -gt 1 ]; then prev=${COMP_WORDS[COMP_CWORD-2]}; fi
    if [ "$cur" = '=' ]; then cur=''; fi

    # Values of options.
    case $prev in
        --data-dir | --fxs-dir) mapfile -t COMPREPLY < <(compgen -d -- "$cur"); return 0 ;;
        --output | --cert | --key) mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return 0 ;;
        --sip-tls-min | --web-tls-min) _edgesip_reply '1.2 1.3' "$cur"; return 0 ;;
        --digest-algorithms) _edgesip_reply 'SHA-256,MD5 MD5,SHA-256 SHA-256 MD5' "$cur"; return 0 ;;
        --permission) _edgesip_reply 'internal national local international' "$cur"; return 0 ;;
        --class) _edgesip_reply 'internal local national international emergency' "$cur"; return 0 ;;
        --type) _edgesip_reply 'register ip' "$cur"; return 0 ;;
        --transport) _edgesip_reply 'udp tcp tls' "$cur"; return 0 ;;
        --trunk) _edgesip_reply "$(_edgesip_names trunk name)" "$cur"; return 0 ;;
        --extension | --forward-always | --forward-busy | --forward-noanswer | --forward-unavailable)
            _edgesip_reply "$(_edgesip_names ext number)" "$cur"; return 0 ;;
    esac
    case " $_edgesip_value_options " in
        *" $prev "*) return 0 ;;
    esac

    local commands='version config ext trunk route did language admin cert settings reg acl blocks calls cdr diag fxs status completion help'
    if [ -z "$cmd" ]; then
        case $cur in
            -*) _edgesip_reply '--data-dir --help --version' "$cur" ;;
            *) _edgesip_reply "$commands" "$cur" ;;
        esac
        return 0
    fi

    local subs=''
    case $cmd in
        config) subs='check' ;;
        ext) subs='list add set remove' ;;
        trunk) subs='list add set remove status' ;;
        route) subs='list add remove move test' ;;
        did) subs='list add remove default' ;;
        reg) subs='list ping' ;;
        acl) subs='list add remove' ;;
        blocks) subs='list remove' ;;
        cdr) subs='list export' ;;
        calls) subs='list' ;;
        diag) subs='dns' ;;
        fxs) subs='status' ;;
        admin) subs='list add passwd remove unlock' ;;
        cert) subs='show install' ;;
        settings) subs='show set' ;;
        language)
            _edgesip_reply 'en zh-CN --json --help' "$cur"
            return 0
            ;;
        status)
            _edgesip_reply '--json --help' "$cur"
            return 0
            ;;
        *) return 0 ;;
    esac
    if [ -z "$sub" ]; then
        case $cur in
            -*)
                if [ "$cmd" = calls ]; then _edgesip_reply '--json --help' "$cur"; else _edgesip_reply '--help' "$cur"; fi
                ;;
            *) _edgesip_reply "$subs help" "$cur" ;;
        esac
        return 0
    fi

    local ext_options='--password --password-stdin --name --max-contacts --allow --permission --forward-always --forward-busy --forward-noanswer --forward-unavailable --noanswer-timeout'
    local trunk_options='--type --domain --proxy --transport --username --auth-username --realm --password --password-stdin --expires --peer --uri-params --from-user --from-display --pai --from-template --to-template --pai-template --enable --disable'
    local options=''
    case "$cmd $sub" in
        'config check' | *' list' | 'trunk status' | 'route test' | 'reg ping' | 'diag dns' | 'cert show' | 'settings show') options='--json' ;;
        'admin add' | 'admin passwd') options='--password-stdin --generate' ;;
        'cert install') options='--cert --key' ;;
        'settings set') options='--sip-port --sip-tls-port --sip-tls-min --digest-algorithms --web-port --web-redirect-port --web-tls-min --web-idle-timeout --json' ;;
        'ext add') options="$ext_options --disabled" ;;
        'ext set') options="$ext_options --allow-any --enable --disable" ;;
        'trunk add') options=$trunk_options ;;
        'trunk set') options="$trunk_options --no-peers" ;;
        'route add') options='--pattern --strip --prefix --trunk --class --position' ;;
        'did add') options='--extension' ;;
        'cdr export') options='--since --until --output' ;;
        'fxs status') options='--fxs-dir --json' ;;
    esac
    [ "$cmd $sub" = 'cdr list' ] && options='--since --until --limit --json'
    if [[ $cur == -* ]]; then
        _edgesip_reply "$options --help" "$cur"
        return 0
    fi

    # The first positional: a name from the daemon, or a fixed choice.
    [ "$nargs" -eq 0 ] || return 0
    case "$cmd $sub" in
        'ext set' | 'ext remove' | 'reg ping') _edgesip_reply "$(_edgesip_names ext number)" "$cur" ;;
        'trunk set' | 'trunk remove') _edgesip_reply "$(_edgesip_names trunk name)" "$cur" ;;
        'route remove' | 'route move') _edgesip_reply "$(_edgesip_names route name)" "$cur" ;;
        'did remove') _edgesip_reply "$(_edgesip_names did did)" "$cur" ;;
        'did default') _edgesip_reply "none
$(_edgesip_names ext number)" "$cur" ;;
        'acl add' | 'acl remove') _edgesip_reply 'white black' "$cur" ;;
        'admin passwd' | 'admin remove' | 'admin unlock') _edgesip_reply "$(_edgesip_names admin user)" "$cur" ;;
    esac
    return 0
}

complete -F _edgesip edgesip
