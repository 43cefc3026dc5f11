#pragma once
// The "parameters" text written into exported images, in the style other diffusion tools
// write, and read back from them:
//
//   a red ball
//   Steps: 100, Skip steps: 25, Sampler: DDPM, ..., Seed: 405, Score: 0.8123, Model: toyworld
//
// The prompt may span lines; the last line holds every parameter of the edit table under
// its label, then the candidate's score and the model pack's name. Values with a comma,
// colon or quote are written in double quotes with JSON escapes.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bd/edit_params.h"

namespace bd {

// Every parameter under its label: "Steps: 100, Skip steps: 25, ..." (what a job asked
// for, before it has candidates).
std::string parameters_line(const EditParams& params);

// `seed` is the candidate's own: with it and batch 1 the candidate is made again.
std::string parameters_text(const std::string& prompt, const EditParams& params, std::uint64_t seed, double score,
                            const std::string& model);

struct ParsedParameters {
  std::string prompt;
  EditParams params;  // the defaults given, with every parameter the text names
  std::optional<double> score;
  std::string model;
  int read = 0;                       // how many parameters were taken from the text
  std::vector<std::string> problems;  // what was not understood, each named
};

ParsedParameters parse_parameters_text(const std::string& text, const EditParams& defaults);

}  // namespace bd
