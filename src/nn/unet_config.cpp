#include "nn/unet_config.h"

#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include "bd/error.h"

namespace bd::nn {

namespace {

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(item);
  return out;
}

int64_t parse_int(const std::string& s, const char* what) {
  try {
    size_t used = 0;
    const int64_t v = std::stoll(s, &used);  // like Python's int(" 16"): spaces allowed
    if (s.find_first_not_of(" \t", used) != std::string::npos) throw std::invalid_argument(s);
    return v;
  } catch (const std::exception&) {
    throw Error(ErrorKind::InvalidInput,
                std::string("UNet ") + what + ": not an integer: '" + s + "'");
  }
}

}  // namespace

bool UNetConfig::operator==(const UNetConfig& o) const {
  return in_channels == o.in_channels && model_channels == o.model_channels &&
         out_channels == o.out_channels && num_res_blocks == o.num_res_blocks &&
         channel_mult == o.channel_mult && attention_ds == o.attention_ds &&
         num_classes == o.num_classes && num_heads == o.num_heads &&
         num_head_channels == o.num_head_channels && num_heads_upsample == o.num_heads_upsample &&
         use_scale_shift_norm == o.use_scale_shift_norm && resblock_updown == o.resblock_updown &&
         use_new_attention_order == o.use_new_attention_order && dropout == o.dropout;
}

std::string UNetConfig::to_string() const {
  std::ostringstream s;
  auto list = [&](const auto& v) {
    s << "(";
    for (size_t i = 0; i < v.size(); ++i) s << (i ? "," : "") << v[i];
    s << ")";
  };
  s << "UNetConfig{in " << in_channels << ", model_channels " << model_channels << ", out "
    << out_channels << ", num_res_blocks " << num_res_blocks << ", channel_mult ";
  list(channel_mult);
  s << ", attention_ds ";
  list(attention_ds);
  s << ", num_classes " << num_classes << ", num_heads " << num_heads << ", num_head_channels "
    << num_head_channels << ", num_heads_upsample " << num_heads_upsample << ", scale_shift_norm "
    << use_scale_shift_norm << ", resblock_updown " << resblock_updown << ", new_attention_order "
    << use_new_attention_order << ", dropout " << dropout << "}";
  return s.str();
}

UNetConfig unet_config_from_args(const CreateModelArgs& a) {
  UNetConfig c;
  if (a.channel_mult.empty()) {
    // script_util.create_model's per-size defaults.
    static const std::map<int64_t, std::vector<double>> defaults = {{512, {0.5, 1, 1, 2, 2, 4, 4}},
                                                                    {256, {1, 1, 2, 2, 4, 4}},
                                                                    {128, {1, 1, 2, 3, 4}},
                                                                    {64, {1, 2, 3, 4}}};
    auto it = defaults.find(a.image_size);
    if (it == defaults.end())
      throw Error(ErrorKind::InvalidInput,
                  "UNet: no default channel_mult for image size " + std::to_string(a.image_size));
    c.channel_mult = it->second;
  } else {
    c.channel_mult.clear();
    for (const auto& m : split_list(a.channel_mult)) {
      const int64_t mult = parse_int(m, "channel_mult");
      if (mult <= 0)
        throw Error(ErrorKind::InvalidInput,
                    "UNet channel_mult: not a positive multiplier: '" + m + "'");
      c.channel_mult.push_back(static_cast<double>(mult));
    }
  }
  // Each level halves the resolution; past this many, no image is large enough.
  constexpr std::size_t kMaxLevels = 16;
  if (c.channel_mult.empty() || c.channel_mult.size() > kMaxLevels)
    throw Error(ErrorKind::InvalidInput,
                "UNet channel_mult: " + std::to_string(c.channel_mult.size()) +
                    " levels, expected 1 to " + std::to_string(kMaxLevels));
  // attention_resolutions are feature-map sizes; the network wants downsampling rates.
  // Rates no level reaches change nothing, so they are dropped to keep configs comparable.
  const int64_t deepest = int64_t{1} << (c.channel_mult.size() - 1);
  std::set<int64_t> ds;
  for (const auto& r : split_list(a.attention_resolutions)) {
    const int64_t res = parse_int(r, "attention_resolutions");
    if (res <= 0) throw Error(ErrorKind::InvalidInput, "UNet attention_resolutions: " + r);
    const int64_t rate = a.image_size / res;
    if (rate >= 1 && rate <= deepest && (rate & (rate - 1)) == 0) ds.insert(rate);
  }
  c.attention_ds.assign(ds.begin(), ds.end());
  c.in_channels = 3;
  c.model_channels = a.num_channels;
  c.out_channels = a.learn_sigma ? 6 : 3;
  c.num_res_blocks = a.num_res_blocks;
  c.num_classes = a.class_cond ? 1000 : 0;
  c.num_heads = a.num_heads;
  c.num_head_channels = a.num_head_channels;
  c.num_heads_upsample = a.num_heads_upsample;
  c.use_scale_shift_norm = a.use_scale_shift_norm;
  c.resblock_updown = a.resblock_updown;
  c.use_new_attention_order = a.use_new_attention_order;
  c.dropout = a.dropout;
  return c;
}

}  // namespace bd::nn
