# bash completion for fwknopd-ts (generated from its option list)
_fwknopd_ts() {
  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"
  case "$prev" in
    --fw-type) COMPREPLY=( $(compgen -W "iptables nftables firewalld ipfw pf" -- "$cur") ); return ;;
    --hmac-digest-type) COMPREPLY=( $(compgen -W "md5 sha1 sha256 sha384 sha512 sha3_256 sha3_512" -- "$cur") ); return ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=( $(compgen -W "--access-file -a --access-folder --config-file -c --override-config -O --foreground -f --syslog-enable --interface -i --pcap-filter -P --pcap-file --pcap-any-direction --udp-server -U --packet-limit -C --digest-file -d --pid-file -p --run-dir -r --dump-config -D --kill -K --restart -R --status -S --test -t --verbose -v --locale -l --fw-type --fw-list --fw-list-all --fw-flush --qr --fleet-revoke --key-gen -k --key-gen-file --key-len --hmac-key-len --hmac-digest-type --gpg-home-dir --gpg-exe --sudo-exe --no-ipt-check-support --rotate-digest-cache --exit-parse-config --exit-parse-digest-cache --help -h --version -V" -- "$cur") )
  else
    COMPREPLY=( $(compgen -f -- "$cur") )
  fi
}
complete -o filenames -F _fwknopd_ts fwknopd-ts
