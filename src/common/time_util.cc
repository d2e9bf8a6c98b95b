#include "common/time_util.h"
