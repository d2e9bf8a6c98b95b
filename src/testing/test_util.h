// holo::testing: helpers shared by tests. Test-only target.
#pragma once

#include <string>
#include <vector>

namespace holo::testing {

// A fresh directory under $TMPDIR, removed by the destructor.
class TempDir {
 public:
  explicit TempDir(const std::string& name);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& child) const { return path_ + "/" + child; }

 private:
  std::string path_;
};

// Path of the holo binary (the HOLO_BIN environment variable set by ctest).
std::string HoloBinary();

// Runs `argv` with optional stdin text; returns the exit code and fills stdout/stderr.
int RunCommand(const std::vector<std::string>& argv, const std::string& stdin_text, std::string* out,
               std::string* err);

// Reads a whole file ("" when missing).
std::string ReadFile(const std::string& path);
// Writes (replaces) a file.
void WriteFile(const std::string& path, const std::string& content);
// One row of a generated world's truth.csv: source,identifier_type,identifier_value,person_id.
struct TruthRow {
  std::string source, type, value, person;
};
// The rows of a truth.csv (header skipped; values hold no commas).
std::vector<TruthRow> ReadTruthCsv(const std::string& path);

// Splits text into lines (no terminators).
std::vector<std::string> Lines(const std::string& text);

}  // namespace holo::testing
