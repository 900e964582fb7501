// northstar: one binary, one subcommand per job. This file only dispatches; each subcommand
// lives in its own cmd_*.cc and parses its own arguments.
#include <array>
#include <iostream>
#include <string>
#include <string_view>

#include "absl/strings/str_format.h"
#include "tools/cli.h"

namespace northstar::tools {
namespace {

struct Command {
  std::string_view name;
  std::string_view summary;
  int (*run)(const Args& args);
};

constexpr std::array<Command, 11> kCommands = {{
    {"kv", "put, get, delete and scan keys of a database file", RunKv},
    {"validate", "check a database file: structure, checksums, page accounting", RunValidate},
    {"dump", "print the meta pages and the tree of a database file, or one page", RunDump},
    {"logdump", "list the records of a commit log, check them, and what recovery would do",
     RunLogdump},
    {"scenario", "print scenario files in canonical form (fmt), or validate them (check)",
     RunScenarioCommand},
    {"run", "run one seed of a scenario on the simulated disk; a repro file on failure", RunRun},
    {"torture", "run many seeds of scenarios in worker processes; summary, JUnit, JSON",
     RunTorture},
    {"replay", "run a repro file again: does the failure reproduce, same trace hash?", RunReplay},
    {"shrink", "make a failing repro file as small as it can while it still fails the same way",
     RunShrink},
    {"bench", "run benchmarks on a real disk; JSON per repeat, compare, gate, baselines",
     RunBench},
    {"cartridge", "the pending-tasks-by-type cartridge of a database: info, build, verify",
     RunCartridge},
}};

void PrintUsage(std::ostream& out) {
  out << "usage: northstar <command> [arguments] [options]\n\ncommands:\n";
  for (const Command& command : kCommands) {
    out << absl::StrFormat("  %-10s %s\n", command.name, command.summary);
  }
  out << "\nRun 'northstar <command> --help' for a command's arguments and options.\n"
         "Exit codes: 0 success; 1 a check found a failure; 2 bad usage or bad input;\n"
         "3 liveness failure; 4 a worker crashed.\n";
}

const Command* FindCommand(std::string_view name) {
  for (const Command& command : kCommands) {
    if (command.name == name) return &command;
  }
  return nullptr;
}

int Main(const Args& args) {
  if (args.empty()) {
    PrintUsage(std::cerr);
    return kExitBadInput;
  }
  std::string name = args[0];
  Args rest(args.begin() + 1, args.end());
  if (name == "--help" || name == "-h" || (name == "help" && rest.empty())) {
    PrintUsage(std::cout);
    return kExitOk;
  }
  if (name == "help") {  // "northstar help kv" is "northstar kv --help".
    name = rest[0];
    rest = {"--help"};
  }
  const Command* command = FindCommand(name);
  if (command == nullptr) {
    std::cerr << absl::StrFormat(
        "northstar: unknown command '%s'\nRun 'northstar --help' for the list of commands.\n",
        name);
    return kExitBadInput;
  }
  return command->run(rest);
}

}  // namespace
}  // namespace northstar::tools

int main(int argc, char** argv) {
  const northstar::tools::Args args(argv + 1, argv + argc);
  return northstar::tools::Main(args);
}
