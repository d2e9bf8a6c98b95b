// holo partner match: a partner's hashed e-mails and phones against the store, answered
// only as the group profile of the overlap (docs/privacy.md, "Partner clean room").
#include "cli/partner_commands.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli/cli_util.h"

namespace holo::cli {

void PartnerCommands::Add(CLI::App& app, const std::function<void(CLI::App*)>& add_data) {
  partner_ = app.add_subcommand("partner", "The partner clean room: overlaps with a partner's hashed identifiers");
  partner_->require_subcommand(1);
  match_ = partner_->add_subcommand(
      "match", "Group profile of the people whose e-mail or phone SHA-256 is in a partner's upload (never its members)");
  add_data(match_);
  match_->add_option("name", name_, "Partner name [a-z0-9_-]")->required();
  match_->add_option("--file", file_, "The upload: one SHA-256 (64 hex digits) of a normalized e-mail or phone per line")
      ->required();
  match_->add_option("--k", options_.k, "Minimum group size (>= 10)")->capture_default_str();
  AddJsonFlag(match_, &json_);
}

bool PartnerCommands::Parsed() const { return partner_->parsed(); }

int PartnerCommands::Run(Engine& engine) {
  std::ifstream in(file_, std::ios::binary);
  if (!in) Fail("partner match: cannot read " + file_);
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size > static_cast<std::streamoff>(kPartnerUploadMaxBytes)) {
    // Audited like any refusal; the file is not read.
    AuditCli(engine, "partner.match", "partner:" + name_ + " hashes:unread", 413);
    Fail("partner match: " + file_ + " has " + std::to_string(size) + " bytes, over the limit of " +
         std::to_string(kPartnerUploadMaxBytes) + "; split it into several uploads");
  }
  in.seekg(0);
  std::ostringstream text;
  text << in.rdbuf();
  const std::string upload = text.str();
  // No audit, no answer: the request is written to the audit log before the answer is
  // printed, with the partner's name and the number of hashes (never the hashes).
  RequireAudit(engine, "partner.match");
  const std::string target = "partner:" + name_ + " hashes:" + std::to_string(PartnerUploadHashes(upload));
  Result<Engine::Report> r = engine.analysts().PartnerMatch(name_, upload, options_);
  int status = 200;
  if (!r.ok()) {
    const StatusCode code = r.status().code();
    status = code == StatusCode::kInvalidArgument ? 400
             : code == StatusCode::kFailedPrecondition ? 409
             : code == StatusCode::kResourceExhausted ? 429
                                                        : 500;
  }
  AuditCli(engine, "partner.match", target, status);
  Check(r.status(), "partner match");
  PrintResult(json_, *r);
  return 0;
}

}  // namespace holo::cli
