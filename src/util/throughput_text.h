// Throughput as text in CSV files and journals: integral values without
// decimals, others with up to 4 (cycles per 100 iterations). Parsing the text
// back gives the value every later reader sees, so jobs round through it.
#pragma once

#include <string>

namespace surrogate::util {

std::string format_throughput(double value);

}  // namespace surrogate::util
