// Readers of store sensor files: each recognises its format by the file's header (or its
// first JSON value) and turns every row into an Observation; a bad row goes to `bad` with
// its line and the reason, and never stops the rows beside it.
//
//   stores::ReadReport r;
//   HOLO_ASSIGN_OR_RETURN(r, stores::ReadObservations(path, sink, bad));
//
// Formats (docs/stores.md):
//   sniffer-csv  ';'-separated sniffer export with the header
//                datetime;dst;src;src_vendor;randomized;rssi;idx;seq_num;ch_freq;FCfield;ssid;dot11elt;oui[;occupancy]
//                (local time without a zone; dot11elt = the IE tag ids, oui = the vendor OUIs)
//   probe-csv    ','-separated capture with the header Timestamp,MAC Address,Channel,...
//                (Unix seconds; the IE fields as hex)
//   meraki-v3    Meraki Scanning API v3 posts ({"version":"3.x","type":"WiFi"|"BLE","data":
//                {"observations":[...]}}), one per file, an array of them, or one per line
//   segment      Segment-spec track events "Probe Seen" / "Beacon Seen" (docs/EVENTS.md), one
//                per line or as {"batch":[...]}
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "holo/result.h"
#include "holo/status.h"
#include "stores/observation.h"

namespace holo::stores {

struct ReadReport {
  std::string format;          // one of the names above
  uint64_t records = 0;        // rows or JSON observations read
  uint64_t observations = 0;   // handed to the sink
  uint64_t bad = 0;            // handed to `bad`
  uint64_t skipped = 0;        // not probes or beacons (other events), not bad
};

using ObservationSink = std::function<Status(const Observation&)>;
// `line`: the file's line (0 inside a JSON document that spans lines); `where`: "line N",
// or the item and observation inside the document; `text`: the record (cut to 300 bytes).
using BadRecordSink =
    std::function<void(uint64_t line, std::string_view where, std::string_view reason, std::string_view text)>;

// Reads `path`. kInvalidArgument naming the file when its format is not recognised; a
// sink's error stops the read and is returned.
Result<ReadReport> ReadObservations(const std::string& path, const ObservationSink& sink, const BadRecordSink& bad);

}  // namespace holo::stores
