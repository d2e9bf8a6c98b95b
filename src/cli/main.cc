// holo: the command-line interface. Machine-readable output goes to stdout,
// progress and logs to stderr; every failure exits non-zero with one line.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "holo/engine.h"
#include "holo/generate.h"
#include "holo/match.h"
#include "cli/account_commands.h"
#include "cli/audience_commands.h"
#include "cli/completion.h"
#include "cli/cli_util.h"
#include "cli/partner_commands.h"
#include "cli/destination_commands.h"
#include "cli/offer_commands.h"
#include "cli/recommend_commands.h"
#include "cli/store_commands.h"
#include "cli/privacy_commands.h"
#include "cli/serve_commands.h"
#include "generate/pii_records.h"
#include "generate/pii_sources.h"
#include "common/json_writer.h"
#include "common/time_util.h"

namespace {

namespace fs = std::filesystem;

using holo::cli::Check;
using holo::cli::Fail;

// --keyring of the command line (empty: beside the data directory); --no-vault; --read-only.
std::string g_keyring;
bool g_no_vault = false;
// holo::Options::phone_regions: source (or "*") -> region, stored in the store at open.
std::map<std::string, std::string> g_phone_regions;
std::map<std::string, std::string> g_ip_policies;
bool g_read_only = false;

// The engine's clock (holo::Options::now_ms): HOLO_NOW (ISO-8601), else the system clock (0).
int64_t g_now_ms = 0;

void ReadClockFromEnvironment() {
  const char* now = std::getenv("HOLO_NOW");
  if (now == nullptr || *now == '\0') return;
  auto ms = holo::ParseIso8601Ms(now);
  Check(ms.status(), std::string("HOLO_NOW='") + now + "'");
  g_now_ms = *ms;
}

std::unique_ptr<holo::Engine> OpenEngine(const std::string& data, bool create = true) {
  holo::Options options;
  options.data_dir = data;
  options.now_ms = g_now_ms;
  options.keyring_path = g_keyring;
  options.pii_vault = !g_no_vault;
  options.phone_regions = g_phone_regions;
  options.ip_policies = g_ip_policies;
  options.create_if_missing = create && !g_read_only;
  options.read_only = g_read_only;
  auto engine = holo::Engine::Open(options);
  Check(engine.status(), "cannot open data directory " + data);
  (*engine)->SetLog([](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); });
  return std::move(engine).value();
}

// `text` as a JSON string, quoted and escaped (a path in a printf-built object).
std::string Quoted(std::string_view text) {
  std::string out;
  holo::JsonWriter::AppendQuoted(text, &out);
  return out;
}

std::string Thousands(uint64_t n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<size_t>(i), ",");
  return s;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// Throttled progress line on stderr.
class Progress {
 public:
  explicit Progress(std::string label) : label_(std::move(label)), tty_(isatty(2)) {}
  void Update(double fraction, const std::string& detail) {
    auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(tty_ ? 200 : 2000) && fraction < 1.0) return;
    last_ = now;
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(fraction * kWidth + 0.5);
    const std::string bar = "[" + std::string(filled, '#') + std::string(kWidth - filled, '.') + "]";
    std::fprintf(stderr, "%s%s %s %5.1f%% %s%s", tty_ ? "\r" : "", label_.c_str(), bar.c_str(), 100.0 * fraction,
                 detail.c_str(), tty_ ? "   " : "\n");
    printed_ = true;
  }
  void Done() {
    if (printed_ && tty_) std::fprintf(stderr, "\n");
  }

 private:
  std::string label_;
  bool tty_;
  bool printed_ = false;
  std::chrono::steady_clock::time_point last_{};
};

std::string IngestJson(const holo::IngestReport& r) {
  char buf[1024];
  std::snprintf(buf, sizeof(buf),
                "{\"files\":%llu,\"lines\":%llu,\"stored\":%llu,\"duplicates\":%llu,\"rejected\":%llu,"
                "\"warnings\":%llu,\"bytes\":%llu,\"seconds\":%.3f,\"events_per_sec\":%.0f,"
                "\"resolve_seconds\":%.3f,\"profile_seconds\":%.3f,\"profiles_written\":%llu}",
                (unsigned long long)r.files, (unsigned long long)r.lines, (unsigned long long)r.stored,
                (unsigned long long)r.duplicates, (unsigned long long)r.rejected,
                (unsigned long long)r.warnings, (unsigned long long)r.bytes, r.seconds,
                r.seconds > 0 ? r.stored / r.seconds : 0.0, r.resolve.resolve_seconds,
                r.resolve.profile_seconds, (unsigned long long)r.resolve.profiles_written);
  std::string out(buf);
  out.insert(out.size() - 1, ",\"dead_letter\":" + Quoted(r.dead_letter_path) + ",\"resolve_full_graph\":" +
                                 (r.resolve.full_graph ? "true" : "false"));
  return out;
}

holo::Status RunIngest(holo::Engine& engine, const std::vector<std::string>& paths,
                       holo::IngestOptions options, const std::string& ack_log,
                       holo::IngestReport* report) {
  Progress progress("ingest");
  std::FILE* ack = nullptr;
  if (!ack_log.empty()) {
    ack = std::fopen(ack_log.c_str(), "a");
    if (ack == nullptr) return holo::Status::IOError("cannot open ack log " + ack_log);
  }
  auto start = std::chrono::steady_clock::now();
  options.on_batch = [&](const holo::IngestProgress& p) {
    if (ack != nullptr) {
      std::fprintf(ack, "%s\t%llu\t%llu\n", p.file.c_str(), (unsigned long long)p.line,
                   (unsigned long long)p.stored);
      std::fflush(ack);
    }
    double secs = Seconds(start);
    progress.Update(p.bytes_total ? double(p.bytes_done) / p.bytes_total : 1.0,
                    Thousands(p.stored) + " events stored, " +
                        Thousands(static_cast<uint64_t>(secs > 0 ? p.stored / secs : 0)) + " events/s");
  };
  holo::Status s = engine.Ingest(paths, options, report);
  progress.Done();
  if (ack != nullptr) std::fclose(ack);
  return s;
}

std::string QualityJson(const holo::IdentityQuality& q) {
  char buf[1024];
  std::snprintf(buf, sizeof(buf),
      "{\"identifiers\":%llu,\"persons\":%llu,\"oneids\":%llu,\"unknown\":%llu,"
      "\"predicted_pairs\":%llu,\"true_pairs\":%llu,\"linkable_pairs\":%llu,"
      "\"precision\":%.6f,\"recall\":%.6f,\"f1\":%.6f,\"recall_vs_truth\":%.6f,"
      "\"linkable_share\":%.6f,\"bcubed_precision\":%.6f,\"bcubed_recall\":%.6f}",
      (unsigned long long)q.identifiers, (unsigned long long)q.persons, (unsigned long long)q.oneids,
      (unsigned long long)q.unknown, (unsigned long long)q.predicted_pairs,
      (unsigned long long)q.true_pairs, (unsigned long long)q.linkable_pairs, q.precision, q.recall,
      q.f1, q.recall_vs_truth, q.linkable_share, q.bcubed_precision, q.bcubed_recall);
  return buf;
}

// A point in time from the command line: ISO-8601 ("2026-11-23T10:00:00Z",
// "2026-11-23" = that day's start, UTC) or milliseconds since the epoch.
int64_t ParseWhen(const std::string& text, const std::string& option) {
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos) return std::stoll(text);
  std::string full = text.size() == 10 ? text + "T00:00:00Z" : text;
  auto ms = holo::ParseIso8601Ms(full);
  if (!ms.ok()) Fail(option + ": '" + text + "' is not an ISO-8601 time or epoch milliseconds");
  return *ms;
}

std::string ResolveJson(const holo::ResolveReport& r) {
  char buf[512];
  std::snprintf(buf, sizeof(buf),
                "{\"full_graph\":%s,\"dirty_nodes\":%llu,\"resolved_nodes\":%llu,\"changed_nodes\":%llu,"
                "\"shared_nodes\":%llu,\"refused_merges\":%llu,\"merges\":%llu,\"splits\":%llu,"
                "\"profiles_written\":%llu,\"resolve_seconds\":%.3f,\"profile_seconds\":%.3f}",
                r.full_graph ? "true" : "false", (unsigned long long)r.dirty_nodes,
                (unsigned long long)r.resolved_nodes, (unsigned long long)r.changed_nodes,
                (unsigned long long)r.shared_nodes, (unsigned long long)r.refused_merges,
                (unsigned long long)r.merges, (unsigned long long)r.splits,
                (unsigned long long)r.profiles_written, r.resolve_seconds, r.profile_seconds);
  return buf;
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Fail("cannot read " + path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

int RunLookup(holo::Engine& engine, int64_t as_of_ms) {
  std::ios::sync_with_stdio(false);
  std::string line, out;
  out.reserve(1 << 16);
  uint64_t n = 0;
  while (std::getline(std::cin, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    size_t comma = line.find(',');
    std::string oneid;
    if (comma != std::string::npos) {
      auto type = std::string_view(line).substr(0, comma);
      auto value = std::string_view(line).substr(comma + 1);
      auto id = as_of_ms != 0 ? engine.identity().LookupOneIdAsOf(type, value, as_of_ms) : engine.LookupOneId(type, value);
      if (id.ok() && *id != 0) oneid = std::to_string(*id);
      if (!id.ok()) std::fprintf(stderr, "holo: line %llu: %s\n", (unsigned long long)n,
                                 id.status().message().c_str());
    } else {
      std::fprintf(stderr, "holo: line %llu: expected type,value\n", (unsigned long long)n);
    }
    out += line;
    if (comma == std::string::npos) out += ',';
    out += ',';
    out += oneid;
    out += '\n';
    if (out.size() > (1 << 16) - 256) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      out.clear();
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  return 0;
}

// With `json`, the narrative goes to stderr and stdout gets one JSON object at the end.
int RunDemo(uint64_t persons, uint64_t seed, const std::string& dir, bool json) {
  std::FILE* text = json ? stderr : stdout;
  fs::path root(dir);
  fs::path world = root / "world";
  fs::path data = root / "data";
  std::error_code ec;
  fs::remove_all(world, ec);
  fs::remove_all(data, ec);
  fs::create_directories(world, ec);
  if (ec) Fail("cannot create " + world.string() + ": " + ec.message());

  std::fprintf(text, "Holo demo: %s persons, seed %llu, in %s\n", Thousands(persons).c_str(),
              (unsigned long long)seed, root.string().c_str());
  std::fflush(text);
  auto total_start = std::chrono::steady_clock::now();
  holo::WorldOptions wo;
  wo.persons = persons;
  wo.seed = seed;
  wo.out_dir = world.string();
  holo::WorldStats ws;
  auto t0 = std::chrono::steady_clock::now();
  {
    Progress progress("generate");
    Check(holo::GenerateWorld(wo, &ws,
                              [&](uint64_t done, uint64_t total) {
                                progress.Update(total ? double(done) / total : 1.0,
                                                Thousands(done) + " persons");
                              }),
          "generate");
    progress.Done();
  }
  double gen_secs = Seconds(t0);
  std::fprintf(text, "world     %s messages from %s persons in %s households, generated in %.1f s\n",
              Thousands(ws.events).c_str(), Thousands(ws.persons).c_str(),
              Thousands(ws.households).c_str(), gen_secs);
  std::fflush(text);

  // The world's traits are measured at its end (a replay), unless HOLO_NOW says otherwise.
  if (g_now_ms == 0) {
    auto end = holo::ParseIso8601Ms(wo.end_date + "T00:00:00Z");
    Check(end.status(), "world end date");
    g_now_ms = *end;
    std::fprintf(text, "clock     the world's end, %s (set HOLO_NOW to measure at another time)\n", wo.end_date.c_str());
  }
  auto engine = OpenEngine(data.string());
  holo::IngestReport report;
  holo::IngestOptions io;
  Check(RunIngest(*engine, {world.string()}, io, "", &report), "ingest");
  std::fprintf(text, "ingest    %s events stored in %.1f s = %s events/s (%s rejected, %s duplicates)\n",
              Thousands(report.stored).c_str(), report.seconds,
              Thousands(static_cast<uint64_t>(report.stored / std::max(report.seconds, 1e-9))).c_str(),
              Thousands(report.rejected).c_str(), Thousands(report.duplicates).c_str());
  auto stats = engine->Stats();
  Check(stats.status());
  std::fprintf(text, "identity  %s identifiers resolved into %s OneIDs in %.1f s (%s shared identifiers kept apart, %s merges refused)\n",
              Thousands(stats->identifiers).c_str(), Thousands(stats->oneids).c_str(),
              report.resolve.resolve_seconds, Thousands(report.resolve.shared_nodes).c_str(),
              Thousands(report.resolve.refused_merges).c_str());
  std::fprintf(text, "profiles  %s profiles built in %.1f s\n", Thousands(report.resolve.profiles_written).c_str(),
              report.resolve.profile_seconds);
  auto q = holo::EvaluateIdentity(*engine, (world / "truth.csv").string(),
                                  (world / "truth_linkable.csv").string());
  Check(q.status(), "evaluate");
  std::fprintf(text, "truth     %s identifiers of %s persons and %s shared devices (tablets, kiosks): "
              "%s OneIDs found, %s components the evidence supports\n",
              Thousands(q->identifiers).c_str(), Thousands(ws.persons).c_str(),
              Thousands(q->persons - std::min<uint64_t>(q->persons, ws.persons)).c_str(),
              Thousands(q->oneids).c_str(), Thousands(ws.linkable_components).c_str());
  std::fprintf(text, "quality   pairwise precision %.4f (vs truth.csv), recall %.4f (vs truth_linkable.csv), F1 %.4f\n",
              q->precision, q->recall, q->f1);
  std::fprintf(text, "          linkable share %.4f of true pairs; recall vs all of truth.csv %.4f; B-cubed P %.4f R %.4f\n",
              q->linkable_share, q->recall_vs_truth, q->bcubed_precision, q->bcubed_recall);
  if (ws.wifi_macs_seen > 0) {
    std::fprintf(text, "stores    %.1f%% of the %s phones seen by wifi sensors carry a MAC some app also reports\n",
                100.0 * ws.wifi_macs_linked / ws.wifi_macs_seen, Thousands(ws.wifi_macs_seen).c_str());
  }
  // A sample profile: the first taobao account in truth.csv whose person has ordered.
  std::ifstream truth(world / "truth.csv");
  std::string line, sample_id, sample_profile;
  while (std::getline(truth, line)) {
    if (line.find(",user_id@taobao,") == std::string::npos) continue;
    size_t a = line.find(',');
    size_t b = line.find(',', a + 1);
    size_t c = line.find(',', b + 1);
    std::string id = line.substr(a + 1, b - a - 1) + ":" + line.substr(b + 1, c - b - 1);
    auto profile = engine->ProfileJson(id);
    // Show someone who has bought something: the richest kind of profile.
    if (profile.ok() && profile->find("\"city\":null") == std::string::npos) {
      std::fprintf(text, "sample profile of %s:\n%s\n", id.c_str(), profile->c_str());
      sample_id = id;
      sample_profile = *profile;
      break;
    }
  }
  // Audiences: a segment with a computed trait, its group profile, a brand funnel.
  auto seg_start = std::chrono::steady_clock::now();
  auto seg = engine->audiences().DefineSegment(
      "demo_lux_buyers", "spending_power >= 3 and count(Order Completed where category = \"luxury\", 90d) >= 1");
  Check(seg.status(), "demo segment");
  std::fprintf(text, "segment   %s: %s members (%.1f s incl. computing the new trait for every profile)\n",
              seg->name.c_str(), Thousands(seg->members).c_str(), Seconds(seg_start));
  auto gp = engine->analysts().GroupProfile("demo_lux_buyers", holo::Engine::GroupProfileOptions());
  if (gp.ok()) {
    std::fprintf(text, "%s\n", gp->text.substr(0, std::min<size_t>(gp->text.size(), 1200)).c_str());
  } else {
    std::fprintf(text, "group profile withheld: %s\n", gp.status().message().c_str());
  }
  holo::Engine::FunnelQuery fq;
  fq.brand = "Nike";
  auto funnel = engine->audiences().Funnel(fq);
  Check(funnel.status(), "demo funnel");
  std::fprintf(text, "%s\n", funnel->text.c_str());
  // Offline stores: the busiest generated store's probes and beacons (docs/stores.md).
  auto store = holo::cli::DemoStoreSummary(*engine, world.string());
  if (store.ok()) {
    std::fprintf(text, "%s\n", store->text.c_str());
  } else {
    std::fprintf(text, "store     none: %s\n", store.status().message().c_str());
  }
  const double total_seconds = Seconds(total_start);
  std::fprintf(text, "total     %.1f s\n", total_seconds);
  if (!json) return 0;
  std::string out;
  holo::JsonWriter w(&out);
  w.BeginObject().Key("persons").Uint(persons).Key("seed").Uint(seed).Key("dir").String(root.string());
  w.Key("world").BeginObject().Key("persons").Uint(ws.persons).Key("households").Uint(ws.households);
  w.Key("events").Uint(ws.events).Key("seconds").Double(gen_secs).EndObject();
  w.Key("ingest").RawValue(IngestJson(report));
  w.Key("identity").BeginObject().Key("identifiers").Uint(stats->identifiers).Key("oneids").Uint(stats->oneids);
  w.EndObject();
  w.Key("quality").RawValue(QualityJson(*q));
  if (!sample_id.empty()) w.Key("sample_profile").BeginObject().Key("id").String(sample_id).Key("profile").RawValue(sample_profile).EndObject();
  w.Key("segment").BeginObject().Key("name").String(seg->name).Key("size").Uint(seg->members).EndObject();
  w.Key("group_profile");
  if (gp.ok()) {
    w.RawValue(gp->json);
  } else {
    w.BeginObject().Key("withheld").String(gp.status().message()).EndObject();
  }
  w.Key("funnel").RawValue(funnel->json);
  if (store.ok()) w.Key("store").RawValue(store->json);
  w.Key("seconds").Double(total_seconds).EndObject();
  std::printf("%s\n", out.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // A file past the size limit (ulimit -f) fails its write with EFBIG, reported like a
  // full disk, instead of killing the process with SIGXFSZ.
  signal(SIGXFSZ, SIG_IGN);
  CLI::App app{"Holo: one holistic, privacy-safe view of each consumer across apps and stores"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "holo 0.1.0");

  std::string data = "./holo-data";
  auto add_data = [&](CLI::App* sub) {
    sub->add_option("--data", data, "Data directory (RocksDB); default $HOLO_DATA, else ./holo-data")
        ->envname("HOLO_DATA")
        ->capture_default_str();
    sub->add_option("--keyring", g_keyring, "Keyring file (default: <data>.keyring, beside the data directory)");
    sub->add_flag("--read-only", g_read_only,
                  "Open the store for reading only, beside a running server or on a full or read-only disk "
                  "(writes are refused)");
  };

  // generate
  holo::WorldOptions world;
  auto* gen = app.add_subcommand("generate", "Generate a simulated world with ground truth");
  gen->add_option("--persons", world.persons, "Number of persons")->capture_default_str()->check(CLI::Range(1ull, 4000000ull));
  gen->add_option("--seed", world.seed, "Random seed")->capture_default_str();
  gen->add_option("--out", world.out_dir, "Output directory")->required();
  gen->add_option("--days", world.days, "Days of activity")->capture_default_str()->check(CLI::Range(1, 3650));
  gen->add_option("--noise", world.noise, "PII noise level 0..2")->capture_default_str()->check(CLI::Range(0, 2));
  gen->add_flag("--foreign-shapes", world.foreign_shapes,
                "Also send the people through foreign-shaped feeds with hub identifiers (sensor ids as "
                "anonymousId, POS terminals, call-centre and courier phones, office BSSIDs, IPs, family "
                "e-mails, QA accounts, all MAC spellings); see src/generate/README.md");

  // ingest
  std::vector<std::string> paths;
  holo::IngestOptions ingest_options;
  std::string ack_log;
  bool no_resolve = false;
  auto* ing = app.add_subcommand("ingest", "Ingest Segment-spec JSON Lines files or directories");
  add_data(ing);
  ing->add_option("paths", paths, "Files (SOURCE.jsonl), directories of them, or - for standard input (with --source)")->required();
  auto* ing_source = ing->add_option("--source", ingest_options.source, "Source of every file (default: file name)");
  std::string default_region;
  ing->add_option("--default-region", default_region,
                  "Region (ISO 3166: US, GB, CN...) of the source's phone numbers written without a country code; "
                  "kept in the store for the source (see 'holo identity phone-regions')")
      ->needs(ing_source);
  std::string ip_policy;
  ing->add_option("--ip-policy", ip_policy,
                  "What is kept of the source's context.ip: keep, truncate (/24, /48; the default) or drop; kept in "
                  "the store for the source (see 'holo identity ip-policy')")
      ->needs(ing_source)
      ->check(CLI::IsMember({"keep", "truncate", "drop"}));
  ing->add_option("--dead-letter", ingest_options.dead_letter_path, "Dead-letter file (default: DATA/dead_letter.jsonl)");
  ing->add_option("--batch", ingest_options.batch_lines, "Lines per durable batch")->capture_default_str()->check(CLI::Range(1ull, 1000000ull));
  ing->add_option("--ack-log", ack_log, "Append 'file<TAB>line<TAB>stored' after every durable batch");
  ing->add_flag("--no-resolve", no_resolve, "Store only; resolve later with 'holo resolve'");
  ing->add_flag("--no-vault", g_no_vault, "Drop address names/phones/streets instead of sealing them in the PII vault");
  ing->add_option("--full-threshold", ingest_options.full_threshold,
                  "Re-resolve everything when more than this share of identifiers is touched (1 = never)")
      ->capture_default_str()->check(CLI::Range(0.0, 1.0));

  // resolve
  bool full = false;
  auto* res = app.add_subcommand("resolve", "Resolve pending identity changes and rebuild profiles");
  add_data(res);
  res->add_flag("--full", full, "Re-resolve the whole graph and rebuild every profile");
  double resolve_threshold = 0.25;
  res->add_option("--full-threshold", resolve_threshold,
                  "Re-resolve everything when more than this share of identifiers is touched (1 = never)")
      ->capture_default_str()->check(CLI::Range(0.0, 1.0));

  auto* look = app.add_subcommand("lookup", "stdin 'type,value' lines -> stdout 'type,value,oneid'");
  add_data(look);
  std::string as_of;
  look->add_option("--as-of", as_of, "The OneID each identifier had at this time (ISO-8601 or epoch ms)");

  std::string id;
  auto* prof = app.add_subcommand("profile", "Print the profile of a OneID or type:value identifier");
  add_data(prof);
  prof->add_option("id", id, "OneID, or type:value (phone:+8613800000000, user_id@taobao:u123)")->required();

  auto* exp = app.add_subcommand("export", "Export data as JSON Lines");
  exp->require_subcommand(1);
  auto* exp_profiles = exp->add_subcommand("profiles", "Every profile, one JSON object per line");
  add_data(exp_profiles);
  auto* exp_events = exp->add_subcommand("events", "Every stored event (pseudonyms only)");
  add_data(exp_events);
  std::string graph_out;
  auto* exp_graph = exp->add_subcommand("graph", "The identity graph as OUT/nodes.tsv and OUT/edges.tsv");
  add_data(exp_graph);
  exp_graph->add_option("--out", graph_out, "Output directory")->required();

  std::string truth, linkable;
  auto* ev = app.add_subcommand("eval", "Score identity resolution against a world's ground truth");
  add_data(ev);
  ev->add_option("--truth", truth, "truth.csv")->required()->check(CLI::ExistingFile);
  ev->add_option("--linkable", linkable, "truth_linkable.csv")->required()->check(CLI::ExistingFile);

  std::string explain_a, explain_b;
  bool explain_json = false;
  auto* expl = app.add_subcommand("explain", "Why two identifiers or OneIDs are, or are not, one person");
  add_data(expl);
  expl->add_option("a", explain_a, "OneID or type:value")->required();
  expl->add_option("b", explain_b, "OneID or type:value")->required();
  holo::cli::AddJsonFlag(expl, &explain_json);
  expl->add_option("--as-of", as_of, "Explain as of this time: OneIDs then, evidence seen by then");

  // identity: maintenance of the identity graph (docs/identity.md)
  auto* idn = app.add_subcommand("identity", "Identity graph maintenance: remove evidence, matches, policy, reports");
  idn->require_subcommand(1);
  std::string id_a, id_b, reason = "withdrawn by operator", source, message_id, config_path;
  bool as_json = false, no_save = false;
  size_t top = 20;
  double max_distance = 0.05;
  uint64_t since = 0;
  holo::Engine::MatchImport import;
  auto* id_erase = idn->add_subcommand("erase", "Remove an identifier from the graph; its OneID may split");
  add_data(id_erase);
  id_erase->add_option("id", id_a, "type:value")->required();
  auto* id_unlink = idn->add_subcommand("unlink", "Withdraw the link between two identifiers (for good)");
  add_data(id_unlink);
  id_unlink->add_option("a", id_a, "type:value")->required();
  id_unlink->add_option("b", id_b, "type:value")->required();
  id_unlink->add_option("--reason", reason, "Why (recorded with the withdrawal)")->capture_default_str();
  auto* id_delete = idn->add_subcommand("delete-event", "Delete one stored event and the evidence it carried");
  add_data(id_delete);
  id_delete->add_option("--source", source, "The event's source")->required();
  id_delete->add_option("--message-id", message_id, "The event's messageId")->required();
  auto* id_import = idn->add_subcommand("import-matches", "Add a 'holo match' pairs.csv as probabilistic-match edges");
  add_data(id_import);
  id_import->add_option("pairs", config_path, "pairs.csv from holo match")->required()->check(CLI::ExistingFile);
  id_import->add_option("--type", import.type_a, "Identifier type of the record ids (of input 1 for linkage)")->required();
  id_import->add_option("--type-b", import.type_b, "Identifier type of input 2's record ids (linkage)");
  id_import->add_option("--source", import.source, "Source recorded on the edges (default: file name)");
  std::string vault_config;
  auto* id_vault = idn->add_subcommand(
      "match-vault", "Match the PII vault's names, phones and streets (in memory) and add the pairs as match edges");
  add_data(id_vault);
  id_vault->add_option("--config", vault_config, "Matcher config (TOML; default: built in, see docs/privacy.md)")
      ->check(CLI::ExistingFile);
  std::vector<std::string> region_settings;
  auto* id_regions = idn->add_subcommand(
      "phone-regions", "Print the phone regions in force as JSON; --set SOURCE=REGION first stores one");
  add_data(id_regions);
  id_regions->add_option("--set", region_settings,
                         "SOURCE=REGION (ISO 3166, e.g. web=US; '*' = the store's default). Changes the pseudonyms "
                         "of the source's later numbers written without a country code (docs/identity.md)");
  std::vector<std::string> ip_settings;
  auto* id_ip = idn->add_subcommand(
      "ip-policy", "Print the IP policies in force as JSON; --set SOURCE=keep|truncate|drop first stores one");
  add_data(id_ip);
  id_ip->add_option("--set", ip_settings,
                    "SOURCE=POLICY: what ingestion keeps of context.ip (keep, truncate to /24 or /48, drop; "
                    "'*' = the store's default, truncate when unset). Applies to events ingested afterwards (docs/privacy.md)");
  auto* id_policy = idn->add_subcommand("policy", "Print the identity policy in force (TOML)");
  add_data(id_policy);
  auto* id_apply = idn->add_subcommand("apply", "Apply a new identity policy and re-resolve what it changes");
  add_data(id_apply);
  id_apply->add_option("--config", config_path, "Policy TOML (see docs/identity.md)")->required()->check(CLI::ExistingFile);
  auto* id_dry = idn->add_subcommand("dry-run", "Show what a policy would merge and split, without applying it");
  add_data(id_dry);
  id_dry->add_option("--config", config_path, "Policy TOML (see docs/identity.md)")->required()->check(CLI::ExistingFile);
  id_dry->add_option("--examples", top, "Examples of merges and splits to list")->capture_default_str();
  holo::cli::AddJsonFlag(id_dry, &as_json);
  auto* id_hubs = idn->add_subcommand("hubs", "Report hub and shared identifiers and what they were kept from joining");
  add_data(id_hubs);
  id_hubs->add_option("--top", top, "Hubs to list")->capture_default_str();
  holo::cli::AddJsonFlag(id_hubs, &as_json);
  auto* id_monitor = idn->add_subcommand("monitor", "Cluster-size distribution vs the last snapshot; exit 3 on drift");
  add_data(id_monitor);
  id_monitor->add_option("--max-distance", max_distance, "Alert above this total-variation distance")->capture_default_str()->check(CLI::Range(0.0, 1.0));
  id_monitor->add_flag("--no-save", no_save, "Do not save this snapshot for the next comparison");
  holo::cli::AddJsonFlag(id_monitor, &as_json);
  auto* id_feed = idn->add_subcommand("feed", "Merge and split records as JSON lines (for downstream systems)");
  add_data(id_feed);
  id_feed->add_option("--since", since, "Only records after this sequence number")->capture_default_str();

  holo::MatchOptions match_options;
  bool match_explain = false;
  auto* mat = app.add_subcommand("match", "Deduplicate one CSV file or link several (Fellegi-Sunter, unsupervised)");
  mat->add_option("--config", match_options.config_path, "TOML config (see src/match/README.md)")->required()->check(CLI::ExistingFile);
  mat->add_option("--out", match_options.out_dir, "Output directory (clusters.csv, pairs.csv)")->required();
  mat->add_option("inputs", match_options.inputs, "INPUT.csv [INPUT2.csv ...]: one = dedupe, several = link sources")->required()->expected(1, 255)->check(CLI::ExistingFile);
  mat->add_flag("--explain-model", match_explain, "Print the learned weights, prior, training and guards in plain words");

  // generate-pii: noisy person records with a truth column, to test `holo match`
  // (src/generate/pii_records.h). Self-contained: runs from its callback.
  holo::generate::PiiOptions pii_options;
  std::string pii_noise = "medium", pii_out;
  auto* gen_pii = app.add_subcommand("generate-pii", "Generate noisy PII records with ground truth (CSV for holo match)");
  gen_pii->add_option("--records", pii_options.records, "Number of records")->capture_default_str()->check(CLI::Range(1ull, 20000000ull));
  gen_pii->add_option("--noise", pii_noise, "Noise level: low, medium or high")->capture_default_str()->check(CLI::IsMember({"low", "medium", "high"}));
  gen_pii->add_option("--seed", pii_options.seed, "Random seed")->capture_default_str();
  gen_pii->add_option("--out", pii_out, "Output CSV file (person_id is the truth column); with --sources a directory")->required();
  holo::generate::MultiSourceOptions multi_options;
  gen_pii->add_option("--sources", multi_options.sources, "Voter-roll shape instead: N duplicate-free sources (given name, surname, town, postcode) in OUT/source_1.csv ...; --records = persons")->check(CLI::Range(2, 16));
  gen_pii->add_option("--corrupted", multi_options.corrupted, "With --sources: share of the overlapping records with errors")->capture_default_str()->check(CLI::Range(0.0, 1.0));
  gen_pii->callback([&] {
    if (gen_pii->count("--sources") > 0) {
      multi_options.persons = pii_options.records;
      multi_options.seed = pii_options.seed;
      holo::generate::MultiSourceStats st;
      Check(holo::generate::WriteMultiSourceCsv(multi_options, pii_out, &st), "generate-pii");
      std::printf("{\"persons\":%llu,\"records\":%llu,\"sources\":%d,\"overlapping_records\":%llu,"
                  "\"corrupted_records\":%llu,\"out\":%s}\n",
                  (unsigned long long)st.persons, (unsigned long long)st.records, multi_options.sources,
                  (unsigned long long)st.overlapping_records, (unsigned long long)st.corrupted_records,
                  Quoted(pii_out).c_str());
      throw CLI::Success();
    }
    auto noise = holo::generate::ParsePiiNoise(pii_noise);
    Check(noise.status(), "generate-pii");
    pii_options.noise = *noise;
    holo::generate::PiiStats stats;
    Check(holo::generate::WritePiiCsv(pii_options, pii_out, &stats), "generate-pii");
    std::printf("{\"records\":%llu,\"persons\":%llu,\"noise\":\"%s\",\"out\":%s}\n",
                (unsigned long long)stats.records, (unsigned long long)stats.persons,
                holo::generate::PiiNoiseName(pii_options.noise), Quoted(pii_out).c_str());
    throw CLI::Success();  // done: app.exit() returns 0 without opening a data directory
  });

  auto* st = app.add_subcommand("stats", "Counts of events, identifiers, OneIDs and pending work");
  add_data(st);

  bool rekey_keep_old = false;
  auto* rekey = app.add_subcommand(
      "rekey", "Rotate the pseudonymization and vault keys: re-key the whole store offline (stop 'holo serve' first)");
  add_data(rekey);
  rekey->add_flag("--keep-old", rekey_keep_old, "Keep the old store as DATA.pre-rekey-N (it holds the old pseudonyms)");

  holo::cli::AudienceCommands audience;
  audience.Add(app, add_data);
  holo::cli::AccountCommands account;
  account.Add(app, add_data);
  holo::cli::ServeCommands serve;
  serve.Add(app, add_data);
  app.get_subcommand("serve")->add_flag("--no-vault", g_no_vault,
                                         "Drop address names/phones/streets instead of sealing them in the PII vault");
  holo::cli::PrivacyCommands privacy;
  privacy.Add(app, add_data);
  holo::cli::PartnerCommands partner;
  partner.Add(app, add_data);
  holo::cli::DestinationCommands destination;
  destination.Add(app, add_data);
  holo::cli::StoreCommands stores;
  stores.Add(app, add_data);
  holo::cli::OfferCommands offers;
  offers.Add(app, add_data);
  holo::cli::RecommendCommands recommend;
  recommend.Add(app, add_data);

  uint64_t demo_persons = 50000, demo_seed = 42;
  std::string demo_dir = "./demo-world";
  auto* demo = app.add_subcommand("demo", "Generate a world, ingest it, resolve identities, report quality");
  demo->add_option("--persons", demo_persons, "Persons in the world")->capture_default_str()->check(CLI::Range(1ull, 4000000ull));
  demo->add_option("--seed", demo_seed, "Random seed")->capture_default_str();
  demo->add_option("--dir", demo_dir, "Working directory (world/ and data/ are replaced)")->capture_default_str();

  std::string completion_shell;
  // --json: with it, a command prints one JSON object on stdout. These print one always;
  // lookup, export, identity feed (lines), serve and completion take no --json.
  bool json = false;
  holo::cli::AddJsonFlag(mat, &json);
  holo::cli::AddJsonFlag(id_policy, &json);
  holo::cli::AddJsonFlag(demo, &json);
  for (CLI::App* always : {gen, gen_pii, ing, res, prof, ev, st, rekey, id_erase, id_unlink, id_delete, id_import, id_vault,
                           id_regions, id_ip, id_apply}) {
    holo::cli::AddJsonAlways(always);
  }

  auto* completion = app.add_subcommand("completion", "Print a shell completion script: source <(holo completion bash)");
  completion->add_option("shell", completion_shell, "The shell (bash)")->required()->check(CLI::IsMember({"bash"}));

  // Parse errors in one line, like every other failure.
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return std::string("holo: error: ") + e.what() + " (see --help)\n";
  });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  ReadClockFromEnvironment();
  if (completion->parsed()) {
    std::fputs(holo::cli::BashCompletion(app, "holo").c_str(), stdout);
    return 0;
  }

  if (gen->parsed()) {
    holo::WorldStats stats;
    Progress progress("generate");
    std::error_code ec;
    fs::create_directories(world.out_dir, ec);
    if (ec) Fail("cannot create " + world.out_dir + ": " + ec.message());
    Check(holo::GenerateWorld(world, &stats,
                              [&](uint64_t done, uint64_t total) {
                                progress.Update(total ? double(done) / total : 1.0, Thousands(done) + " persons");
                              }),
          "generate");
    progress.Done();
    std::printf("{\"persons\":%llu,\"households\":%llu,\"events\":%llu,\"out\":%s}\n",
                (unsigned long long)stats.persons, (unsigned long long)stats.households,
                (unsigned long long)stats.events, Quoted(world.out_dir).c_str());
    return 0;
  }
  if (demo->parsed()) return RunDemo(demo_persons, demo_seed, demo_dir, json);
  if (recommend.Parsed() && !recommend.NeedsEngine()) return recommend.Run();
  if (mat->parsed()) {
    holo::MatchReport report;
    Check(holo::RunMatch(match_options, &report), "match");
    for (const auto& w : report.warnings) std::fprintf(stderr, "holo: warning: %s\n", w.c_str());
    // --explain-model: the explanation before the JSON, or with --json inside it.
    if (match_explain && !json) std::fputs(report.model_explanation.c_str(), stdout);
    char buf[512];
    std::snprintf(buf, sizeof(buf),
                  "{\"records\":%llu,\"candidate_pairs\":%llu,\"matched_pairs\":%llu,\"clusters\":%llu,"
                  "\"threshold_weight\":%.3f,\"seconds\":%.3f}",
                  (unsigned long long)report.records, (unsigned long long)report.candidate_pairs,
                  (unsigned long long)report.matched_pairs, (unsigned long long)report.clusters,
                  report.threshold_weight, report.seconds);
    std::string out = buf;
    if (match_explain && json) {
      out.pop_back();
      out += ",\"model_explanation\":";
      holo::JsonWriter::AppendQuoted(report.model_explanation, &out);
      out += '}';
    }
    std::printf("%s\n", out.c_str());
    return 0;
  }

  if (g_read_only && (ing->parsed() || rekey->parsed() || serve.Parsed() || !region_settings.empty() || !ip_settings.empty())) {
    Fail("--read-only: this command writes to the store");
  }
  if (privacy.ParsedWithoutEngine()) return privacy.RunWithoutEngine(data);
  if (rekey->parsed()) {
    holo::Options options;
    options.data_dir = data;
    options.keyring_path = g_keyring;
    options.now_ms = g_now_ms;
    Progress progress("rekey");
    holo::Engine::RekeyReport r;
    holo::Status s = holo::Engine::Rekey(options, rekey_keep_old, [&](const holo::Engine::RekeyProgress& p) {
      const double f = p.total == 0 ? 1.0 : std::min(1.0, static_cast<double>(p.done) / static_cast<double>(p.total));
      progress.Update(f, p.step + " " + Thousands(p.done) + " keys");
    }, &r);
    progress.Done();
    Check(s, "rekey");
    {
      // The rekeyed store's engine holds its audit log (copied over by the rekey).
      auto engine = OpenEngine(data, /*create=*/false);
      holo::cli::AuditCli(*engine, "keys.rekey", "generation:" + std::to_string(r.to_generation), 200);
    }
    if (!r.vault_unopened.empty()) {
      std::fprintf(stderr, "holo: warning: %zu vault entr%s could not be opened (damaged, or sealed under another key); "
                   "kept as found, not re-sealed:", r.vault_unopened.size(), r.vault_unopened.size() == 1 ? "y" : "ies");
      for (const auto& hex : r.vault_unopened) std::fprintf(stderr, " %s", hex.c_str());
      std::fprintf(stderr, "\n");
    }
    std::printf("{\"from_generation\":%llu,\"to_generation\":%llu,\"keys\":%llu,\"pseudonyms\":%llu,"
                "\"vault_entries\":%llu,\"vault_unopened\":%zu,\"profiles\":%llu,\"seconds\":%.3f%s}\n",
                (unsigned long long)r.from_generation, (unsigned long long)r.to_generation, (unsigned long long)r.keys,
                (unsigned long long)r.pseudonyms, (unsigned long long)r.vault_entries, r.vault_unopened.size(),
                (unsigned long long)r.profiles, r.seconds,
                r.old_dir.empty() ? "" : (",\"old_dir\":" + Quoted(r.old_dir)).c_str());
    return 0;
  }
  if (!default_region.empty()) g_phone_regions[ingest_options.source] = default_region;
  if (!ip_policy.empty()) g_ip_policies[ingest_options.source] = ip_policy;
  // `identity phone-regions|ip-policy --set SOURCE=VALUE`: stored by the open below.
  auto take_settings = [](const std::vector<std::string>& settings, std::map<std::string, std::string>* into,
                          const std::string& command, const std::string& value) {
    for (const std::string& setting : settings) {
      const size_t eq = setting.find('=');
      if (eq == std::string::npos) Fail(command + ": --set expects SOURCE=" + value + ", got '" + setting + "'");
      (*into)[setting.substr(0, eq)] = setting.substr(eq + 1);
    }
  };
  take_settings(ip_settings, &g_ip_policies, "ip-policy", "POLICY");
  take_settings(region_settings, &g_phone_regions, "phone-regions", "REGION");
  // Only ingest creates a data directory; the other commands read an existing one.
  serve.BeforeOpen();
  auto engine = OpenEngine(data, /*create=*/ing->parsed() || serve.Parsed() || stores.Importing());
  if (audience.Parsed()) return audience.Run(*engine, data);
  if (account.Parsed()) return account.Run(*engine);
  if (serve.Parsed()) return serve.Run(*engine, data);
  if (privacy.Parsed()) return privacy.Run(*engine, data);
  if (partner.Parsed()) return partner.Run(*engine);
  if (destination.Parsed()) return destination.Run(*engine);
  if (stores.Parsed()) return stores.Run(*engine);
  if (recommend.Parsed()) return recommend.Run(*engine);
  if (offers.Parsed()) return offers.Run(*engine);
  if (ing->parsed()) {
    ingest_options.resolve = !no_resolve;
    holo::IngestReport report;
    holo::Status s = RunIngest(*engine, paths, ingest_options, ack_log, &report);
    for (const auto& e : report.sample_errors) std::fprintf(stderr, "holo: rejected %s\n", e.c_str());
    if (report.ahead_of_clock > 0) {
      std::fprintf(stderr,
                   "holo: warning: %llu event(s) stamped ahead of the clock were dead-lettered; if this is a replay of "
                   "data from another time, set HOLO_NOW (ISO-8601) to that time\n",
                   (unsigned long long)report.ahead_of_clock);
    }
    if (report.rejected > 5) {
      std::fprintf(stderr, "holo: ... %llu rejected lines in all, see %s\n",
                   (unsigned long long)report.rejected, report.dead_letter_path.c_str());
    }
    Check(s, "ingest");
    std::printf("%s\n", IngestJson(report).c_str());
  } else if (res->parsed()) {
    holo::ResolveReport report;
    Check(engine->Resolve(full, &report, resolve_threshold), "resolve");
    std::printf("%s\n", ResolveJson(report).c_str());
  } else if (look->parsed()) {
    return RunLookup(*engine, as_of.empty() ? 0 : ParseWhen(as_of, "--as-of"));
  } else if (prof->parsed()) {
    auto json = engine->ProfileJson(id);
    auto oneid = engine->serving().ResolveId(id);
    holo::cli::AuditCli(*engine, "profile.read", oneid.ok() ? "oneid:" + std::to_string(*oneid) : "(unknown)",
                        json.ok() ? 200 : 404);
    Check(json.status());
    std::printf("%s\n", json->c_str());
  } else if (exp_profiles->parsed()) {
    // No audit, no export: audited before the first profile is written; a failure on the
    // way is audited too.
    holo::cli::AuditCli(*engine, "profiles.export", "profiles", 200);
    std::ios::sync_with_stdio(false);
    holo::Status s = engine->ExportProfiles(std::cout);
    std::cout.flush();
    if (!s.ok()) holo::cli::AuditCli(*engine, "profiles.export", "profiles", 500);
    Check(s, "export profiles");
  } else if (exp_events->parsed()) {
    holo::cli::AuditCli(*engine, "events.export", "events", 200);  // as profiles, above
    std::ios::sync_with_stdio(false);
    holo::Status s = engine->ExportEvents(std::cout);
    std::cout.flush();
    if (!s.ok()) holo::cli::AuditCli(*engine, "events.export", "events", 500);
    Check(s, "export events");
  } else if (exp_graph->parsed()) {
    std::error_code ec;
    fs::create_directories(graph_out, ec);
    if (ec) Fail("cannot create " + graph_out + ": " + ec.message());
    std::ofstream nodes(fs::path(graph_out) / "nodes.tsv"), edges(fs::path(graph_out) / "edges.tsv");
    Check(engine->ExportGraph(nodes, edges), "export graph");
  } else if (ev->parsed()) {
    auto q = holo::EvaluateIdentity(*engine, truth, linkable);
    Check(q.status(), "eval");
    std::printf("%s\n", QualityJson(*q).c_str());
  } else if (expl->parsed()) {
    auto ex = engine->identity().Explain(explain_a, explain_b, as_of.empty() ? 0 : ParseWhen(as_of, "--as-of"));
    Check(ex.status(), "explain");
    holo::cli::PrintResult(explain_json, ex->json, ex->text);
  } else if (idn->parsed()) {
    holo::ResolveReport report;
    if (id_erase->parsed()) {
      Check(engine->identity().EraseIdentifier(id_a, &report), "identity erase");
    } else if (id_unlink->parsed()) {
      Check(engine->identity().WithdrawLink(id_a, id_b, reason, &report), "identity unlink");
    } else if (id_delete->parsed()) {
      Check(engine->identity().DeleteEvent(source, message_id, &report), "identity delete-event");
    } else if (id_import->parsed()) {
      Check(engine->identity().ImportMatches(config_path, &import, &report), "identity import-matches");
      std::fprintf(stderr, "holo: %llu match pairs imported, %llu skipped (ids that identify no one)\n",
                   (unsigned long long)import.imported, (unsigned long long)import.skipped);
    } else if (id_vault->parsed()) {
      holo::Engine::VaultMatchReport vm;
      Check(engine->identity().MatchVault(vault_config, &vm, &report), "identity match-vault");
      holo::cli::AuditCli(*engine, "vault.match", "vault", 200);
      std::fprintf(stderr, "holo: %llu vault records, %llu candidate pairs, %llu matched, %llu match edges added (%.1f s)\n",
                   (unsigned long long)vm.records, (unsigned long long)vm.candidate_pairs,
                   (unsigned long long)vm.matched_pairs, (unsigned long long)vm.edges, vm.seconds);
    if (!vm.unopened.empty()) {
      std::fprintf(stderr, "holo: warning: %zu vault entr%s could not be opened (damaged, or sealed under another key) and %s skipped:",
                   vm.unopened.size(), vm.unopened.size() == 1 ? "y" : "ies", vm.unopened.size() == 1 ? "was" : "were");
      for (const auto& hex : vm.unopened) std::fprintf(stderr, " %s", hex.c_str());
      std::fprintf(stderr, "\n");
    }
    } else if (id_regions->parsed() || id_ip->parsed()) {
      auto json = id_ip->parsed() ? engine->identity().IpPoliciesJson() : engine->identity().PhoneRegionsJson();
      Check(json.status(), id_ip->parsed() ? "IP policy" : "phone regions");
      std::printf("%s\n", json->c_str());
      return 0;
    } else if (id_policy->parsed()) {
      auto p = engine->identity().IdentityPolicy();
      Check(p.status(), "identity policy");
      if (json) {
        std::string out;
        holo::JsonWriter(&out).BeginObject().Key("toml").String(*p).EndObject();
        std::printf("%s\n", out.c_str());
      } else {
        std::printf("%s", p->c_str());
      }
      return 0;
    } else if (id_apply->parsed()) {
      holo::cli::RequireAudit(*engine, "config.identity_policy");
      holo::Status s = engine->identity().ApplyIdentityPolicy(ReadWholeFile(config_path), &report);
      holo::cli::AuditCli(*engine, "config.identity_policy", "identity_policy", s.ok() ? 200 : 400);
      Check(s, "identity apply");
    } else if (id_feed->parsed()) {
      std::ios::sync_with_stdio(false);
      Check(engine->identity().IdentityFeed(since, std::cout), "identity feed");
      std::cout.flush();
      return 0;
    } else {
      holo::Result<holo::Engine::Report> r = holo::Status::Internal("no report");
      if (id_dry->parsed()) r = engine->identity().DryRunIdentityPolicy(ReadWholeFile(config_path), top);
      if (id_hubs->parsed()) r = engine->identity().IdentityHubs(top);
      if (id_monitor->parsed()) r = engine->identity().MonitorClusterSizes(max_distance, !no_save);
      Check(r.status(), "identity");
      holo::cli::PrintResult(as_json, *r);
      return r->alert ? 3 : 0;
    }
    std::printf("%s\n", ResolveJson(report).c_str());
  } else if (st->parsed()) {
    auto s = engine->Stats();
    Check(s.status());
    std::printf("{\"events\":%llu,\"identifiers\":%llu,\"oneids\":%llu,\"pending_nodes\":%llu,\"pending_profiles\":%llu,\"key_generation\":%llu,\"vault_entries\":%llu}\n",
                (unsigned long long)s->events, (unsigned long long)s->identifiers,
                (unsigned long long)s->oneids, (unsigned long long)s->pending_nodes,
                (unsigned long long)s->pending_profiles, (unsigned long long)s->key_generation,
                (unsigned long long)s->vault_entries);
  }
  return 0;
}
