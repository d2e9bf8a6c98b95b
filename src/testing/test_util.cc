#include "testing/test_util.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace holo::testing {

TempDir::TempDir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("holo_" + name + "_" + std::to_string(::getpid()) + "_" + std::to_string(std::rand()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  path_ = dir.string();
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
  std::filesystem::remove(path_ + ".keyring", ec);  // a store made at path() keeps its keyring beside it
}

std::string HoloBinary() {
  const char* bin = std::getenv("HOLO_BIN");
  return bin != nullptr ? bin : "holo";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string line;
  while (std::getline(ss, line)) out.push_back(line);
  return out;
}

int RunCommand(const std::vector<std::string>& argv, const std::string& stdin_text, std::string* out,
               std::string* err) {
  TempDir tmp("cmd");
  std::string in_path = tmp / "stdin", out_path = tmp / "stdout", err_path = tmp / "stderr";
  WriteFile(in_path, stdin_text);
  pid_t pid = fork();
  if (pid == 0) {
    int in = open(in_path.c_str(), O_RDONLY);
    int o = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int e = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(in, 0);
    dup2(o, 1);
    dup2(e, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (out != nullptr) *out = ReadFile(out_path);
  if (err != nullptr) *err = ReadFile(err_path);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::vector<TruthRow> ReadTruthCsv(const std::string& path) {
  std::vector<TruthRow> rows;
  auto lines = Lines(ReadFile(path));
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    size_t a = l.find(','), b = l.find(',', a + 1), c = l.rfind(',');
    if (a == std::string::npos || b == std::string::npos || c <= b) continue;
    rows.push_back({l.substr(0, a), l.substr(a + 1, b - a - 1), l.substr(b + 1, c - b - 1), l.substr(c + 1)});
  }
  return rows;
}

}  // namespace holo::testing
