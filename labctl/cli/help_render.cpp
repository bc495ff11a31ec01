#include "labctl/cli/help_render.hpp"

#include <ranges>
#include <sstream>

#include "core/build_info.hpp"
#include "labctl/cli/help_table.hpp"

namespace labctl::cli {
namespace {

// roff text: a backslash is \e, a hyphen \- (so flags stay copyable), and a line that would start
// with a control character gets a zero-width \& in front.
std::string roff(std::string_view text) {
  std::string out;
  bool line_start = true;
  for (const char c : text) {
    if (line_start && (c == '.' || c == '\'')) out += "\\&";
    line_start = c == '\n';
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else {
      out += c;
    }
  }
  return out;
}

std::string option_usage(const OptionDoc& option) {
  std::string out;
  if (option.flags.empty()) return "\\fI" + roff(option.name) + "\\fR";
  for (const auto& flag : option.flags) out += (out.empty() ? "" : ", ") + ("\\fB" + roff(flag) + "\\fR");
  if (!option.value.empty()) out += " \\fI" + roff(option.value) + "\\fR";
  return out;
}

void man_options(std::ostringstream& out, const std::vector<OptionDoc>& options) {
  for (const auto& option : options) {
    if (option.name == "--help" || option.name == "--help-all") continue;
    out << ".TP\n" << option_usage(option) << (option.required ? " (required)" : "") << '\n'
        << roff(option.text.empty() ? "-" : option.text);
    if (!option.default_value.empty()) out << " (default: " << roff(option.default_value) << ")";
    out << '\n';
  }
}

std::string words_of(const CommandDoc& command) {
  std::string out;
  const auto add = [&out](std::string_view word) {
    out += out.empty() ? "" : " ";
    out += word;
  };
  for (const auto& sub : command.subcommands) add(sub);
  for (const auto& option : command.options) {
    for (const auto& flag : option.flags) add(flag);
  }
  // The positional words two commands take: `help CMD` and `completion SHELL`.
  if (command.path == "completion") {
    for (const auto shell : k_completion_shells) add(shell);
  }
  return out;
}

// Two shell functions every POSIX-like script shares: the subcommands of a command path and the
// words (subcommands and flags) offered after it.
std::string case_functions(const std::vector<CommandDoc>& commands) {
  std::ostringstream out;
  out << "_labctl_subcommands() {\n  case \"$1\" in\n";
  for (const auto& command : commands) {
    std::string subs;
    for (const auto& sub : command.subcommands) subs += (subs.empty() ? "" : " ") + sub;
    out << "    \"" << command.path << "\") echo \"" << subs << "\" ;;\n";
  }
  out << "  esac\n}\n_labctl_words() {\n  case \"$1\" in\n";
  for (const auto& command : commands) {
    out << "    \"" << command.path << "\") echo \"" << words_of(command) << "\" ;;\n";
  }
  out << "  esac\n}\n";
  return out.str();
}

// The command path typed so far: every word that names a subcommand of the path before it.
constexpr std::string_view k_bash = R"sh(_labctl() {
  local cur="${COMP_WORDS[COMP_CWORD]}" cmd_path="" i w
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="${COMP_WORDS[i]}"
    case " $(_labctl_subcommands "$cmd_path") " in
      *" $w "*) cmd_path="${cmd_path:+$cmd_path }$w" ;;
    esac
  done
  local words
  # `help CMD` takes a command name.
  if [[ "$cmd_path" == help ]]; then words="$(_labctl_subcommands "")"
  else words="$(_labctl_words "$cmd_path")"; fi
  mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
}
complete -F _labctl labctl
)sh";

constexpr std::string_view k_zsh = R"sh(_labctl() {
  local cmd_path="" w i words_here
  for ((i = 2; i < CURRENT; i++)); do
    w=${words[i]}
    case " $(_labctl_subcommands "$cmd_path") " in
      *" $w "*) cmd_path="${cmd_path:+$cmd_path }$w" ;;
    esac
  done
  if [[ "$cmd_path" == help ]]; then words_here="$(_labctl_subcommands "")"
  else words_here="$(_labctl_words "$cmd_path")"; fi
  compadd -- ${=words_here}
}
# Autoloaded from $fpath (this file as _labctl) it completes; sourced, it registers itself.
if [[ "${funcstack[1]}" == _labctl ]]; then _labctl "$@"; else compdef _labctl labctl; fi
)sh";

// fish: single-quoted, where only \\ and \' are escapes.
std::string fish_quote(std::string_view text) {
  std::string out = "'";
  for (const char c : text) {
    if (c == '\\' || c == '\'') out += '\\';
    out += c == '\n' ? ' ' : c;
  }
  return out + "'";
}

std::string fish_script(const std::vector<CommandDoc>& commands) {
  std::ostringstream out;
  out << "complete -c labctl -f\n";
  for (const auto& command : commands) {
    // The condition under which this command's words are offered.
    std::string condition;
    std::string seen;
    for (const auto word : std::views::split(std::string_view(command.path), ' ')) {
      const std::string name(word.begin(), word.end());
      if (name.empty()) continue;
      condition += (condition.empty() ? "" : "; and ") + ("__fish_seen_subcommand_from " + name);
    }
    std::string subs;
    for (const auto& sub : command.subcommands) subs += " " + sub;
    const std::string here =
        command.path.empty() ? "__fish_use_subcommand"
                             : condition + (subs.empty() ? "" : "; and not __fish_seen_subcommand_from" + subs);
    for (const auto& doc : commands) {
      if (doc.path.empty() || doc.path.rfind(command.path.empty() ? "" : command.path + " ", 0) != 0) continue;
      const std::string rest = command.path.empty() ? doc.path : doc.path.substr(command.path.size() + 1);
      if (rest.find(' ') != std::string::npos) continue;
      out << "complete -c labctl -n " << fish_quote(here) << " -a " << fish_quote(rest) << " -d "
          << fish_quote(doc.text.substr(0, doc.text.find('\n'))) << '\n';
    }
    for (const auto& option : command.options) {
      for (const auto& flag : option.flags) {
        out << "complete -c labctl" << (command.path.empty() ? "" : " -n " + fish_quote(condition))
            << (flag.starts_with("--") ? " -l " + flag.substr(2) : " -s " + flag.substr(1))
            << (option.value.empty() ? "" : " -r") << " -d " << fish_quote(option.text) << '\n';
      }
    }
    if (command.path == "completion") {
      for (const auto shell : k_completion_shells) {
        out << "complete -c labctl -n " << fish_quote(condition) << " -a " << shell << '\n';
      }
    }
  }
  return out.str();
}

}  // namespace

std::string man_page(const CLI::App& app) {
  const auto commands = describe(app);
  std::ostringstream out;
  out << ".TH LABCTL 1 \"\" \"labctl " << roff(build_info::k_version) << "\" \"User Commands\"\n"
      << ".SH NAME\nlabctl \\- run cloud\\-edge failover labs end to end\n"
      << ".SH SYNOPSIS\n.B labctl\n[\\fIOPTIONS\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR]\n"
      << ".SH DESCRIPTION\n" << roff(commands.front().text) << "\n.PP\n"
      << "Every command prints its result on stdout and its progress on stderr. "
      << "\\fBlabctl help \\fICOMMAND\\fR and \\fBlabctl \\fICOMMAND\\fB \\-\\-help\\fR show the "
         "same text as this page for one command.\n"
      << ".SH OPTIONS\n";
  man_options(out, commands.front().options);
  out << ".SH COMMANDS\n";
  for (auto it = commands.begin() + 1; it != commands.end(); ++it) {
    out << ".SS \"labctl " << roff(it->path) << "\"\n" << roff(it->text) << '\n';
    man_options(out, it->options);
    if (!it->env.empty() && it->path.find(' ') == std::string::npos) {
      std::string names;
      for (const EnvVar* var : it->env) {
        if (var->commands == "*") continue;
        names += (names.empty() ? "" : ", ") + std::string(var->name);
      }
      if (!names.empty()) out << ".PP\nEnvironment: " << roff(names) << ".\n";
    }
  }
  out << ".SH ENVIRONMENT\n"
      << "<SITE> is a site name upper\\-cased, with \\- as _ (CE_ONPREM_CLIENT_SSH_HOST).\n";
  for (const EnvVar& var : env_table()) {
    out << ".TP\n.B " << roff(var.name) << '\n' << roff(var.text) << " ("
        << (var.commands == "*" ? std::string("every command") : roff(var.commands)) << ")\n";
  }
  out << ".SH EXIT STATUS\n"
      << ".TP\n0\nok\n.TP\n1\na check failed\n.TP\n2\nusage or bad input\n"
      << ".TP\n3\nprovider or API error\n.TP\n4\nrefused by a safety rule\n"
      << ".TP\n130\ninterrupted\n"
      << ".SH SEE ALSO\n\\fBlabctl completion bash|zsh|fish\\fR prints a shell completion script.\n";
  return out.str();
}

std::string completion_script(const CLI::App& app, std::string_view shell) {
  const auto commands = describe(app);
  const std::string header =
      "# labctl completion for " + std::string(shell) + " (generated by `labctl completion " +
      std::string(shell) + "` from the same table as `labctl --help`)\n";
  if (shell == "bash") return header + case_functions(commands) + std::string(k_bash);
  if (shell == "zsh") return "#compdef labctl\n" + header + case_functions(commands) + std::string(k_zsh);
  if (shell == "fish") return header + fish_script(commands);
  return {};
}

}  // namespace labctl::cli
