# bash completion for fwknop-ts (generated from its option list)
_fwknop_ts() {
  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"
  case "$prev" in
    --server-proto|-P) COMPREPLY=( $(compgen -W "udp tcp http icmp udpraw tcpraw" -- "$cur") ); return ;;
    --digest-type|-m) COMPREPLY=( $(compgen -W "md5 sha1 sha256 sha384 sha512 sha3_256 sha3_512" -- "$cur") ); return ;;
    --encryption-mode|-M) COMPREPLY=( $(compgen -W "cbc ctr cfb ofb ecb legacy" -- "$cur") ); return ;;
    --hmac-digest-type) COMPREPLY=( $(compgen -W "md5 sha1 sha256 sha384 sha512 sha3_256 sha3_512" -- "$cur") ); return ;;
    --Server-mode) COMPREPLY=( $(compgen -W "knock shared" -- "$cur") ); return ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=( $(compgen -W "--named-config -n --access -A --allow-ip -a --destination -D --use-hmac --help -h --save-packet -B --save-packet-append -b --server-cmd -C --nat-access -N --server-port -p --server-proto -P --source-ip -s --source-port -S --spoof-source -Q --spoof-src --resolve-ip-https -R --resolve-ip-http --resolve-http-only --resolve-url --user-agent -u --use-wget-user-agent --wget-cmd -w --http-proxy -H --spoof-user -U --last-cmd -l --get-key -G --get-hmac-key --stdin --fd --key-gen -k --qr --key-gen-file -K --key-len --hmac-key-len --key-rijndael --key-base64-rijndael --key-hmac --key-base64-hmac --rand-port -r --test -T --verbose -v --version -V --digest-type -m --encryption-mode -M --fw-timeout -f --hmac-digest-type --icmp-type --icmp-code --gpg-encryption -g --gpg-recipient-key --gpg-signer-key --gpg-no-signing-pw --gpg-home-dir --gpg-agent --gpg-exe --keep-open --no-save-args --save-args-file -E --rc-file --server-resolve-ipv4 --ipv4 -4 --ipv6 -6 --Server-mode --offset --rotate-proto --time-delay --knock-file --Test-mode --save-rc-stanza --force-stanza --stanza-list --nat-local --nat-port --nat-rand-port --no-home-dir --no-rc-file --show-last --time-offset-plus --time-offset-minus" -- "$cur") )
  else
    COMPREPLY=( $(compgen -f -- "$cur") )
  fi
}
complete -o filenames -F _fwknop_ts fwknop-ts
