// holo trait | segment | groupprofile | people | funnel | campaign: the audience
// commands (docs/segments.md, docs/aipl.md).
#include "cli/audience_commands.h"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <iostream>

#include "cli/cli_util.h"
#include "common/json_writer.h"
#include "common/time_util.h"
#include "profile/trait_registry.h"

namespace holo::cli {
namespace {

int64_t ParseDate(const std::string& text, const char* flag) {
  if (text.empty()) return 0;
  std::string t = text;
  if (t.size() == 10) t += "T23:59:59.999Z";  // a date means the end of that day (UTC)
  auto ms = ParseIso8601Ms(t);
  if (!ms.ok()) Fail(std::string(flag) + ": '" + text + "' is not a date (YYYY-MM-DD or ISO-8601): " + ms.status().message());
  return *ms;
}

void WriteSegmentJson(const Engine::SegmentInfo& s, bool history, JsonWriter& w) {
  w.BeginObject().Key("name").String(s.name).Key("version").Uint(s.version).Key("size").Uint(s.members);
  w.Key("definition").String(s.definition);
  w.Key("created").String(FormatIso8601Ms(s.created_ms)).Key("updated").String(FormatIso8601Ms(s.updated_ms));
  if (history) {
    w.Key("history").BeginArray();
    for (const auto& [v, def] : s.history) w.BeginObject().Key("version").Uint(v).Key("definition").String(def).EndObject();
    w.EndArray();
  }
  w.Key("warnings").BeginArray();
  for (const auto& x : s.warnings) w.String(x);
  w.EndArray().EndObject();
}

void PrintSegment(const Engine::SegmentInfo& s, bool history, bool json) {
  if (json) {
    std::string out;
    JsonWriter w(&out);
    WriteSegmentJson(s, history, w);
    std::printf("%s\n", out.c_str());
    return;
  }
  std::printf("%s  v%u  %llu members\n  %s\n", s.name.c_str(), s.version, (unsigned long long)s.members,
              s.definition.c_str());
  std::printf("  created %s, updated %s\n", FormatIso8601Ms(s.created_ms).c_str(), FormatIso8601Ms(s.updated_ms).c_str());
  if (history) {
    for (const auto& [v, def] : s.history) std::printf("  v%u: %s\n", v, def.c_str());
  }
  for (const auto& w : s.warnings) std::fprintf(stderr, "holo: warning: %s\n", w.c_str());
}

}  // namespace

void AudienceCommands::Add(CLI::App& app, const std::function<void(CLI::App*)>& add_data) {
  trait_ = app.add_subcommand("trait", "User-defined computed traits (aggregates of event properties)");
  trait_->require_subcommand(1);
  trait_define_ = trait_->add_subcommand("define", "Define a computed trait; every profile is rebuilt with it");
  add_data(trait_define_);
  trait_define_->add_option("name", name_, "Trait name (letters, digits, _)")->required();
  trait_define_->add_option("expression", expr_, "e.g. 'count(Order Completed where category = \"luxury\", 180d)'")
      ->required();
  AddJsonFlag(trait_define_, &json_);
  trait_drop_ = trait_->add_subcommand("drop", "Remove a computed trait and its values (refused while a saved segment reads it)");
  add_data(trait_drop_);
  trait_drop_->add_option("name", name_, "Trait name")->required();
  AddJsonFlag(trait_drop_, &json_);
  trait_list_ = trait_->add_subcommand("list", "List computed traits (with --builtin: every built-in trait)");
  add_data(trait_list_);
  trait_list_->add_flag("--builtin", builtin_, "Also list the built-in traits: name, family, type, how it is computed");
  trait_list_->add_flag("--json", json_, "Print JSON: every trait, built-in and computed (as GET /api/traits)");

  seg_ = app.add_subcommand("segment", "Named audience segments over profile traits (bitmaps, kept current)");
  seg_->require_subcommand(1);
  seg_create_ = seg_->add_subcommand("create", "Create a segment, or redefine it as a new version");
  add_data(seg_create_);
  seg_create_->add_option("name", name_, "Segment name [A-Za-z0-9_.-]")->required();
  seg_create_->add_option("expression", expr_, "Segment expression (docs/segments.md)")->required();
  AddJsonFlag(seg_create_, &json_);
  seg_list_ = seg_->add_subcommand("list", "List segments with their sizes");
  add_data(seg_list_);
  AddJsonFlag(seg_list_, &json_);
  seg_show_ = seg_->add_subcommand("show", "Definition, versions and size of a segment");
  add_data(seg_show_);
  seg_show_->add_option("name", name_, "Segment name")->required();
  AddJsonFlag(seg_show_, &json_);
  seg_count_ = seg_->add_subcommand("count", "Members of a segment, or of an expression with --expr");
  add_data(seg_count_);
  seg_count_->add_option("name", name_, "Segment name");
  seg_count_->add_option("--expr", expr_, "Count an unsaved expression instead");
  AddJsonFlag(seg_count_, &json_);
  seg_overlap_ = seg_->add_subcommand("overlap", "Members of two segments and of both");
  add_data(seg_overlap_);
  seg_overlap_->add_option("a", name_, "Segment")->required();
  seg_overlap_->add_option("b", name_b_, "Segment")->required();
  AddJsonAlways(seg_overlap_);
  seg_export_ = seg_->add_subcommand("export", "Write the OneIDs of the members the consent policy allows, one per line");
  add_data(seg_export_);
  seg_export_->add_option("name", name_, "Segment name")->required();
  seg_export_->add_option("--out", out_, "Output file (default: stdout)");
  seg_export_->add_option("--use", use_, "The use, whose purposes each member must have consented to (docs/privacy.md)")
      ->capture_default_str();
  AddJsonFlag(seg_export_, &json_);
  seg_drop_ = seg_->add_subcommand("drop", "Delete a segment");
  add_data(seg_drop_);
  seg_drop_->add_option("name", name_, "Segment name")->required();
  AddJsonFlag(seg_drop_, &json_);

  gp_ = app.add_subcommand("groupprofile", "Trait distributions of a segment; cells under k suppressed");
  add_data(gp_);
  gp_->add_option("segment", name_, "Segment name or expression")->required();
  gp_->add_option("--k", gp_options_.k, "Minimum group size (>= 10)")->capture_default_str();
  AddJsonFlag(gp_, &json_);

  people_ = app.add_subcommand("people", "Household, family and friend ties of a person");
  add_data(people_);
  people_->add_option("id", name_, "OneID or type:value")->required();
  AddJsonFlag(people_, &json_);

  funnel_ = app.add_subcommand("funnel", "AIPL funnel of a brand: Awareness, Interest, Purchase, Loyalty");
  add_data(funnel_);
  funnel_->add_option("brand", funnel_query_.brand, "Brand")->required();
  funnel_->add_option("--at", at_, "As of this date (default: the newest event)");
  funnel_->add_option("--from", from_, "Also show flows from this date");
  funnel_->add_option("--category", funnel_query_.category, "Only this category of the brand");
  funnel_->add_option("--stores", funnel_query_.stores,
                      "The brand's stores: a visit is an Interest touch-point (with location consent)")
      ->delimiter(',');
  funnel_->add_option("--k", funnel_query_.k, "Minimum cell size (>= 10)")->capture_default_str();
  AddJsonFlag(funnel_, &json_);

  campaign_ = app.add_subcommand("campaign", "Effect of a campaign: exposed vs matched unexposed people");
  add_data(campaign_);
  campaign_->add_option("campaign", name_, "Campaign name (the 'campaign' property of Promotion Viewed)")->required();
  campaign_->add_option("--k", k_, "Minimum cell size (>= 10)")->capture_default_str();
  AddJsonFlag(campaign_, &json_);
}

bool AudienceCommands::Parsed() const {
  return trait_->parsed() || seg_->parsed() || gp_->parsed() || people_->parsed() || funnel_->parsed() ||
         campaign_->parsed();
}

void AudienceCommands::PrintCount(uint64_t n, const std::vector<std::string>& warnings) const {
  if (!json_) {
    std::printf("%llu\n", (unsigned long long)n);
    return;
  }
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("count").Uint(n).Key("warnings").BeginArray();
  for (const std::string& x : warnings) w.String(x);
  w.EndArray().EndObject();
  std::printf("%s\n", out.c_str());
}

int AudienceCommands::Run(Engine& engine, const std::string& data_dir) {
  auto print_report = [&](const Result<Engine::Report>& r, const char* what) {
    Check(r.status(), what);
    PrintResult(json_, *r);
    return 0;
  };
  if (trait_define_->parsed()) {
    Check(engine.audiences().DefineTrait(name_, expr_), "trait define");
    std::string out;
    JsonWriter(&out).BeginObject().Key("defined").String(name_).Key("definition").String(expr_).EndObject();
    PrintResult(json_, out, "trait " + name_ + " defined");
  } else if (trait_drop_->parsed()) {
    Check(engine.audiences().DropTrait(name_), "trait drop");
    std::string out;
    JsonWriter(&out).BeginObject().Key("dropped").String(name_).EndObject();  // as DELETE /api/traits/{name}
    PrintResult(json_, out, "trait " + name_ + " dropped");
  } else if (trait_list_->parsed()) {
    if (json_) {
      auto registry = engine.audiences().TraitRegistryJson();
      Check(registry.status(), "trait list");
      std::printf("%s\n", registry->c_str());
      return 0;
    }
    auto traits = engine.audiences().ListTraits();
    Check(traits.status(), "trait list");
    if (builtin_) {
      for (const profile::TraitInfo& t : profile::BuiltinTraits()) {
        std::printf("%.*s\t%.*s\t%.*s\t%.*s\n", int(t.name.size()), t.name.data(), int(t.family.size()), t.family.data(),
                    int(profile::TraitTypeName(t.type).size()), profile::TraitTypeName(t.type).data(), int(t.how.size()),
                    t.how.data());
      }
    }
    for (const auto& [name, def] : *traits) std::printf("%s\t%s\n", name.c_str(), def.c_str());
  } else if (seg_create_->parsed()) {
    auto info = engine.audiences().DefineSegment(name_, expr_);
    Check(info.status(), "segment create");
    PrintSegment(*info, false, json_);
  } else if (seg_list_->parsed()) {
    auto list = engine.audiences().ListSegments();
    Check(list.status(), "segment list");
    if (json_) {
      std::string out;
      JsonWriter w(&out);
      w.BeginObject().Key("segments").BeginArray();
      for (const auto& s : *list) WriteSegmentJson(s, false, w);
      w.EndArray().EndObject();
      std::printf("%s\n", out.c_str());
      return 0;
    }
    for (const auto& s : *list) {
      std::printf("%-24s v%-3u %10llu  %s\n", s.name.c_str(), s.version, (unsigned long long)s.members,
                  s.definition.c_str());
    }
  } else if (seg_show_->parsed()) {
    auto info = engine.audiences().GetSegment(name_);
    Check(info.status(), "segment show");
    PrintSegment(*info, true, json_);
  } else if (seg_count_->parsed()) {
    if (name_.empty() == expr_.empty()) Fail("segment count: give a segment name or --expr, not both");
    if (!expr_.empty()) {
      auto n = engine.audiences().CountExpression(expr_);
      Check(n.status(), "segment count");
      auto warnings = engine.audiences().ExpressionWarnings(expr_);
      Check(warnings.status(), "segment count");
      for (const std::string& w : *warnings) std::fprintf(stderr, "segment count: warning: %s\n", w.c_str());
      PrintCount(*n, *warnings);
    } else {
      auto info = engine.audiences().GetSegment(name_);
      Check(info.status(), "segment count");
      PrintCount(info->members, info->warnings);
    }
  } else if (seg_overlap_->parsed()) {
    auto o = engine.audiences().SegmentOverlap(name_, name_b_);
    Check(o.status(), "segment overlap");
    // As GET /api/segments/{a}/overlap/{b}, plus the Jaccard index.
    std::string out;
    JsonWriter w(&out);
    w.BeginObject().Key("a").String(name_).Key("b").String(name_b_).Key("a_size").Uint(o->a);
    w.Key("b_size").Uint(o->b).Key("both").Uint(o->both).Key("jaccard").Double(o->jaccard).EndObject();
    std::printf("%s\n", out.c_str());
  } else if (seg_export_->parsed()) {
    // No audit, no export: the members are written out only once the export is audited.
    std::ostringstream members;
    Status s = engine.audiences().ExportSegment(name_, members, use_);
    AuditCli(engine, "segment.export", "segment:" + name_ + " use:" + use_, s.ok() ? 200 : 404);
    Check(s, "segment export");
    if (!out_.empty()) {
      std::ofstream f(out_);
      f << members.view();
      f.flush();
      if (!f) Fail("segment export: cannot write " + out_);
    }
    if (json_) {
      // One object: the members' OneIDs (as the lines of GET /api/segments/{name}/export), or
      // with --out only their number, the OneIDs being in the file.
      std::string out;
      JsonWriter w(&out);
      w.BeginObject().Key("segment").String(name_).Key("use").String(use_);
      if (out_.empty()) w.Key("oneids").BeginArray();
      uint64_t count = 0;
      std::istringstream lines{std::string(members.view())};
      for (std::string line; std::getline(lines, line);) {
        if (line.empty()) continue;
        ++count;
        if (out_.empty()) w.Uint(std::strtoull(line.c_str(), nullptr, 10));
      }
      if (out_.empty()) w.EndArray();
      w.Key("count").Uint(count);
      if (!out_.empty()) w.Key("out").String(out_);
      w.EndObject();
      std::printf("%s\n", out.c_str());
    } else if (out_.empty()) {
      std::fwrite(members.view().data(), 1, members.view().size(), stdout);
      if (std::fflush(stdout) != 0) Fail("segment export: cannot write to standard output");
    }
  } else if (seg_drop_->parsed()) {
    Check(engine.audiences().DropSegment(name_), "segment drop");
    if (json_) {
      std::string out;
      JsonWriter(&out).BeginObject().Key("dropped").String(name_).EndObject();  // as DELETE /api/segments/{name}
      std::printf("%s\n", out.c_str());
    }
  } else if (gp_->parsed()) {
    return print_report(engine.analysts().GroupProfile(name_, gp_options_), "groupprofile");
  } else if (people_->parsed()) {
    return print_report(engine.audiences().People(name_), "people");
  } else if (funnel_->parsed()) {
    funnel_query_.at_ms = ParseDate(at_, "--at");
    funnel_query_.from_ms = ParseDate(from_, "--from");
    return print_report(engine.audiences().Funnel(funnel_query_), "funnel");
  } else if (campaign_->parsed()) {
    return print_report(engine.audiences().Campaign(name_, k_), "campaign");
  }
  return 0;
}

}  // namespace holo::cli
