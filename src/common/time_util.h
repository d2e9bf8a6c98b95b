// time_util: ISO-8601 parsing/formatting (owned by the ingest work; see brief).
#pragma once
