import { GLOBAL_OPTIONS, type Command, type Options } from "./context";
import { COMMANDS } from "./commands";
import { UsageError } from "./exit-codes";

/** Extra words completion offers beside the commands (they are handled before command lookup in main.ts). */
const BUILTIN = ["help", "completion", "context", "--version", "--help"];

const groups = () => [...new Set(COMMANDS.filter((c) => c.name.includes(" ")).map((c) => c.name.split(" ")[0]!))];
const tops = () => [...new Set(COMMANDS.map((c) => c.name.split(" ")[0]!)), ...BUILTIN];
const flags = (o: Options | undefined) => Object.keys({ ...GLOBAL_OPTIONS, ...o }).map((n) => `--${n}`).join(" ");
const sub = (g: string) => COMMANDS.filter((c) => c.name.startsWith(`${g} `)).map((c) => c.name.split(" ")[1]!);

function bash(): string {
  const groupCases = groups().map((g) => `    ${g}) [ "$COMP_CWORD" -eq 2 ] && { COMPREPLY=($(compgen -W "${sub(g).join(" ")}" -- "$cur")); return; }; cmd="$g \${COMP_WORDS[2]}" ;;`);
  const flagCases = COMMANDS.map((c: Command) => `    "${c.name}") opts="${flags(c.options)}" ;;`);
  return `# bash completion for bmi: source <(bmi completion bash), or save it as /etc/bash_completion.d/bmi
_bmi() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" cmd="\${COMP_WORDS[1]}" g="\${COMP_WORDS[1]}" opts=""
  if [ "$COMP_CWORD" -eq 1 ]; then COMPREPLY=($(compgen -W "${tops().join(" ")}" -- "$cur")); return; fi
  case "$g" in
${groupCases.join("\n")}
    completion) COMPREPLY=($(compgen -W "bash zsh" -- "$cur")); return ;;
    context) COMPREPLY=($(compgen -W "ls use show" -- "$cur")); return ;;
    help) COMPREPLY=($(compgen -W "${tops().filter((t) => !t.startsWith("-")).join(" ")}" -- "$cur")); return ;;
  esac
  case "$cmd" in
${flagCases.join("\n")}
  esac
  if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "$opts" -- "$cur")); else COMPREPLY=($(compgen -f -- "$cur")); fi
}
complete -o filenames -F _bmi bmi
`;
}

/** A zsh description, without the characters _describe and _arguments treat as syntax. */
const zq = (s: string) => s.replace(/[[\]:\\]/g, " ").replace(/'/g, "'\\''");

function zsh(): string {
  const spec = (o: Options | undefined) => Object.entries({ ...GLOBAL_OPTIONS, ...o })
    .map(([n, f]) => `'${f.multiple ? "*" : ""}--${n}${f.type === "string" ? "=" : ""}[${zq(f.help)}]${f.type === "string" ? `:${zq(f.value ?? "value")}:_files` : ""}'`).join(" ");
  const top = [...new Map(COMMANDS.map((c) => {
    const w = c.name.split(" ")[0]!;
    return [w, c.name.includes(" ") ? `${w} commands` : c.summary] as const;
  })).entries()].map(([w, s]) => `'${w}:${zq(s)}'`);
  const groupCases = groups().map((g) => `    ${g}) local -a subs=(${COMMANDS.filter((c) => c.name.startsWith(`${g} `))
    .map((c) => `'${c.name.split(" ")[1]}:${zq(c.summary)}'`).join(" ")}); (( CURRENT == 3 )) && { _describe command subs; return; }; name="${g} \${words[3]}"; skip=3 ;;`);
  const flagCases = COMMANDS.map((c) => `    "${c.name}") specs=(${spec(c.options)}) ;;`);
  return `#compdef bmi
# zsh completion for bmi: source <(bmi completion zsh), or save it as _bmi in a directory of $fpath
_bmi() {
  local name="\${words[2]}" skip=2
  local -a specs
  if (( CURRENT == 2 )); then local -a cmds=(${top.join(" ")} 'help:describe a command' 'completion:print a completion script' 'context:named contexts of the config file'); _describe command cmds; return; fi
  case "\${words[2]}" in
${groupCases.join("\n")}
    completion) (( CURRENT == 3 )) && compadd bash zsh; return ;;
    context) (( CURRENT == 3 )) && compadd ls use show; return ;;
  esac
  case "$name" in
${flagCases.join("\n")}
  esac
  shift $((skip - 1)) words; (( CURRENT -= skip - 1 ))
  _arguments -s $specs '*:argument:_files'
}
compdef _bmi bmi
`;
}

export function completion(shell: string | undefined): string {
  if (shell === "bash") return bash();
  if (shell === "zsh") return zsh();
  throw new UsageError(`completion ${shell ?? ""}: bash or zsh (e.g. source <(bmi completion bash))`);
}
