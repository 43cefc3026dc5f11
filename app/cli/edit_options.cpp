#include "edit_options.h"

namespace bd::cli {

void EditParamOptions::apply(EditParams& params) const {
  for (const auto& [option, set] : setters)
    if (option->count() > 0) set(params);
}

void add_edit_param_options(CLI::App* cmd, const std::shared_ptr<EditParamOptions>& o) {
  // The setters live inside *o, so a plain pointer to it never dangles.
  EditParamOptions* self = o.get();
  auto remember = [&](CLI::Option* opt, auto EditParams::*field) {
    self->setters.push_back({opt, [self, field](EditParams& d) { d.*field = self->given.*field; }});
  };
  EditParams& g = o->given;
  auto ranged = [&](const char* name, auto EditParams::*field, const char* help, auto lo, auto hi) {
    remember(cmd->add_option(name, g.*field, help)->check(CLI::Range(lo, hi)), field);
  };
  auto flag = [&](const char* name, bool EditParams::*field, const char* help) {
    remember(cmd->add_flag(name, g.*field, help), field);
  };
  ranged("--skip-timesteps", &EditParams::skip_timesteps, "Respaced steps skipped at the start: edit strength (25)", 0, 999);
  remember(cmd->add_option("--timestep-respacing", g.timestep_respacing, "\"N\", \"a,b,c\" or \"ddimN\" (100)"),
           &EditParams::timestep_respacing);
  flag("--ddim", &EditParams::ddim, "DDIM sampling (eta 0) instead of DDPM");
  ranged("--batch-size", &EditParams::batch_size, "Candidates per diffusion run (4)", 1, 64);
  ranged("--iterations", &EditParams::iterations, "Diffusion runs; candidates = batch x iterations (8)", 1, 1000);
  ranged("--aug-num", &EditParams::aug_num, "CLIP views per candidate, one of them plain (8)", 1, 64);
  remember(cmd->add_flag("--plain-views{false}", g.random_augmentations,
                         "CLIP views without random affine/perspective augmentation"),
           &EditParams::random_augmentations);
  ranged("--clip-lambda", &EditParams::clip_lambda, "CLIP guidance weight (1000; packs may lower it)", 0.0, 1e6);
  ranged("--range-lambda", &EditParams::range_lambda, "Range loss weight (50)", 0.0, 1e6);
  ranged("--l2-lambda", &EditParams::l2_lambda, "Background L2 weight, --local only (10000)", 0.0, 1e7);
  ranged("--lpips-lambda", &EditParams::lpips_lambda, "Background LPIPS weight, --local only (1000)", 0.0, 1e7);
  ranged("--padding", &EditParams::padding, "Context around the mask, fraction of its size (0.25)", 0.0, 4.0);
  ranged("--feather", &EditParams::feather_px, "Soft edge of the paste-back in pixels (4)", 0, 512);
  ranged("--grow", &EditParams::grow_px, "Grow the mask by N pixels (negative: shrink)", -512, 512);
  // CLI11 would wrap "-1" into 2^64 - 1 silently.
  remember(cmd->add_option("--seed", g.seed, "Seed of the first candidate (404)")->check(CLI::NonNegativeNumber),
           &EditParams::seed);
  flag("--local", &EditParams::local_mode, "Local CLIP-guided diffusion baseline: no blending");
  flag("--invert-mask", &EditParams::invert_mask, "Edit everything except the mask");
  flag("--no-enforce-background{false}", &EditParams::enforce_background,
       "Do not paste the original background over the result");
  // A named string: under C++20 (LibTorch 2.x) a string literal also fits CLI11's
  // add_flag(name, T& default, description) and the call is ambiguous.
  const std::string reference_help = "The official loop's quirks (shared background noise)";
  CLI::Option* reference = cmd->add_flag("--reference-fidelity", reference_help);
  o->setters.push_back({reference, [](EditParams& d) { d.fidelity = FidelityMode::Reference; }});
}

}  // namespace bd::cli
