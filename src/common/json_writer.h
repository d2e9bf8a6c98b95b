// JsonWriter: a small streaming JSON writer (owned by the generator work; see brief).
#pragma once
