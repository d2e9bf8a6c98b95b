// holo offer issue|report|list: coupons and private-sale invitations credited back to their
// campaign, against a random holdout (docs/aipl.md, "Offers").
#include "cli/offer_commands.h"

#include <cstdio>

#include "cli/cli_util.h"
#include "common/time_util.h"

namespace holo::cli {

void OfferCommands::Add(CLI::App& app, const std::function<void(CLI::App*)>& add_data) {
  offer_ = app.add_subcommand("offer", "Offers: coupons and invitations to a segment, measured against a holdout");
  offer_->require_subcommand(1);
  issue_ = offer_->add_subcommand("issue", "Issue an offer to a segment's members, holding a random share out");
  add_data(issue_);
  issue_->add_option("name", name_, "Offer name [A-Za-z0-9_.-]")->required();
  issue_->add_option("--segment", segment_, "Saved segment it goes to")->required();
  issue_->add_option("--campaign", campaign_, "Campaign its coupons carry (Coupon Redeemed 'campaign')")->required();
  issue_->add_option("--holdout", holdout_, "Share of the members held out as the control")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 0.9));
  issue_->add_option("--at", at_, "When it was issued (ISO-8601; default now)");
  AddJsonAlways(issue_);
  report_ = offer_->add_subcommand("report", "Conversion, revenue and redemptions, invited vs held out, with intervals");
  add_data(report_);
  report_->add_option("name", name_, "Offer name")->required();
  report_->add_option("--window", window_, "Days after the issue that count (e.g. 30d)")->capture_default_str();
  AddJsonFlag(report_, &json_);
  list_ = offer_->add_subcommand("list", "The offers issued");
  add_data(list_);
  AddJsonAlways(list_);
}

bool OfferCommands::Parsed() const { return offer_->parsed(); }

int OfferCommands::Run(Engine& engine) {
  if (issue_->parsed()) {
    int64_t at_ms = 0;
    if (!at_.empty()) {
      auto ms = ParseIso8601Ms(at_);
      Check(ms.status(), "offer issue: --at");
      at_ms = *ms;
    }
    RequireAudit(engine, "offer.issue");
    auto json = engine.audiences().IssueOffer(name_, segment_, campaign_, holdout_, at_ms);
    AuditCli(engine, "offer.issue", "offer:" + name_, json.ok() ? 200 : 400);
    Check(json.status(), "offer issue");
    std::printf("%s\n", json->c_str());
  } else if (report_->parsed()) {
    std::string days = window_;
    if (!days.empty() && days.back() == 'd') days.pop_back();
    int64_t window = 0;
    try {
      window = std::stoll(days);
    } catch (const std::exception&) {
      Fail("offer report: --window must be like 30d, got '" + window_ + "'");
    }
    auto r = engine.audiences().OfferReport(name_, window);
    Check(r.status(), "offer report");
    PrintResult(json_, *r);
  } else if (list_->parsed()) {
    auto json = engine.audiences().ListOffersJson();
    Check(json.status(), "offer list");
    std::printf("%s\n", json->c_str());
  }
  return 0;
}

}  // namespace holo::cli
