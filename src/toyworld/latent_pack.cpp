#include "toyworld/latent_pack.h"

#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/sha256.h"
#include "io/atomic_file.h"
#include "io/safetensors.h"
#include "toyworld/checkpoint.h"

namespace bd::toyworld {

namespace fs = std::filesystem;

namespace {

constexpr const char* kDiffusersVersion = "0.30.0";

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_json(const fs::path& path, const nlohmann::ordered_json& j) {
  io::write_file_atomically(path.string(), j.dump(2) + "\n");
}

// transformers' CLIPTokenizer reads vocab.json beside merges.txt.
nlohmann::ordered_json vocab_json(const text::ClipTokenizer& tokenizer) {
  nlohmann::ordered_json v = nlohmann::ordered_json::object();
  for (int64_t i = 0; i < tokenizer.vocab_size(); ++i) v[tokenizer.token(i)] = i;
  return v;
}

}  // namespace

nlohmann::ordered_json pack_file_entry(const std::string& out_dir, const std::string& relative) {
  const fs::path path = fs::path(out_dir) / relative;
  return {{"file", relative},
          {"sha256", core::sha256_file(path.string())},
          {"bytes", static_cast<int64_t>(fs::file_size(path))}};
}

// VAE: f = 4 (three levels), 32-64-64 channels, one resnet per level, 4 latent channels:
// 64² scenes become 4×16×16 latents. 16 groups divide every width.
// UNet: 32-64-128 channels at 16², 8², 4²; one resnet per level; cross-attention at 16²
// and 8² and in the middle (as Stable Diffusion leaves its coarsest level without);
// 32-wide heads. Sized so a forward pass at batch 8 takes about 50 ms on 2 cores (an
// edit of 4 candidates, ~37 DDIM steps with guidance, within 3 s): 64-128-128 took 157.
LatentArchitecture latent_architecture() {
  LatentArchitecture a;
  a.image_size = 64;
  auto& v = a.vae;
  v.block_out_channels = {32, 64, 64};
  v.down_block_types.assign(3, "DownEncoderBlock2D");
  v.up_block_types.assign(3, "UpDecoderBlock2D");
  v.layers_per_block = 1;
  v.norm_num_groups = 16;
  v.latent_channels = 4;
  v.sample_size = a.image_size;
  auto& u = a.unet;
  u.sample_size = a.image_size / 4;
  u.block_out_channels = {32, 64, 128};
  u.down_block_types = {"CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"};
  u.up_block_types = {"UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"};
  u.layers_per_block = {1, 1, 1};
  u.transformer_layers_per_block = {1, 1, 1};
  u.attention_head_dim = {1, 2, 4};  // heads per level (diffusers' naming)
  u.norm_num_groups = 16;
  return a;
}

LatentArchitecture tiny_latent_architecture() {
  LatentArchitecture a = latent_architecture();
  a.vae.block_out_channels = {8, 16, 16};
  a.vae.norm_num_groups = 8;
  a.unet.block_out_channels = {16, 32};
  a.unet.down_block_types = {"CrossAttnDownBlock2D", "DownBlock2D"};
  a.unet.up_block_types = {"UpBlock2D", "CrossAttnUpBlock2D"};
  a.unet.layers_per_block = {1, 1};
  a.unet.transformer_layers_per_block = {1, 1};
  a.unet.attention_head_dim = {1, 1};
  a.unet.norm_num_groups = 8;
  return a;
}

nlohmann::ordered_json unet_config_json(const nn::UNet2DConditionConfig& c) {
  return {{"_class_name", "UNet2DConditionModel"},
          {"_diffusers_version", kDiffusersVersion},
          {"act_fn", "silu"},
          {"attention_head_dim", c.attention_head_dim},
          {"block_out_channels", c.block_out_channels},
          {"center_input_sample", false},
          {"class_embed_type", nullptr},
          {"cross_attention_dim", c.cross_attention_dim},
          {"down_block_types", c.down_block_types},
          {"downsample_padding", c.downsample_padding},
          {"dual_cross_attention", false},
          {"flip_sin_to_cos", c.flip_sin_to_cos},
          {"freq_shift", c.freq_shift},
          {"in_channels", c.in_channels},
          {"layers_per_block", c.layers_per_block},
          {"mid_block_scale_factor", c.mid_block_scale_factor},
          {"mid_block_type", c.mid_block_type},
          {"norm_eps", c.norm_eps},
          {"norm_num_groups", c.norm_num_groups},
          {"num_class_embeds", nullptr},
          {"only_cross_attention", false},
          {"out_channels", c.out_channels},
          {"resnet_time_scale_shift", "default"},
          {"sample_size", c.sample_size},
          {"transformer_layers_per_block", c.transformer_layers_per_block},
          {"up_block_types", c.up_block_types},
          {"upcast_attention", c.upcast_attention},
          {"use_linear_projection", c.use_linear_projection}};
}

nlohmann::ordered_json vae_config_json(const nn::AutoencoderKLConfig& c) {
  return {{"_class_name", "AutoencoderKL"},
          {"_diffusers_version", kDiffusersVersion},
          {"act_fn", "silu"},
          {"block_out_channels", c.block_out_channels},
          {"down_block_types", c.down_block_types},
          {"force_upcast", true},
          {"in_channels", c.in_channels},
          {"latent_channels", c.latent_channels},
          {"layers_per_block", c.layers_per_block},
          {"mid_block_add_attention", c.mid_block_add_attention},
          {"norm_num_groups", c.norm_num_groups},
          {"out_channels", c.out_channels},
          {"sample_size", c.sample_size},
          {"scaling_factor", c.scaling_factor},
          {"up_block_types", c.up_block_types},
          {"use_post_quant_conv", c.use_post_quant_conv},
          {"use_quant_conv", c.use_quant_conv}};
}

nlohmann::ordered_json text_encoder_config_json(const nn::CLIPTextConfig& c, int64_t bos,
                                                int64_t projection_dim) {
  return {{"architectures", {"CLIPTextModel"}},
          {"attention_dropout", 0.0},
          {"bos_token_id", bos},
          {"eos_token_id", c.eos_token_id},
          {"hidden_act", c.hidden_act},
          {"hidden_size", c.hidden_size},
          {"initializer_factor", 1.0},
          {"initializer_range", 0.02},
          {"intermediate_size", c.intermediate_size},
          {"layer_norm_eps", c.layer_norm_eps},
          {"max_position_embeddings", c.max_position_embeddings},
          {"model_type", "clip_text_model"},
          {"num_attention_heads", c.num_attention_heads},
          {"num_hidden_layers", c.num_hidden_layers},
          {"pad_token_id", 0},
          {"projection_dim", projection_dim},
          {"torch_dtype", "float32"},
          {"transformers_version", "4.44.2"},
          {"vocab_size", c.vocab_size}};
}

void export_latent_pack(const std::string& out_dir, const LatentArchitecture& arch,
                        nn::UNet2DConditionModel& unet, nn::AutoencoderKL& vae,
                        nn::CLIPTextModel& text_encoder, const text::ClipTokenizer& tokenizer,
                        const LatentPackFiles& files) {
  const fs::path out(out_dir);
  for (const char* sub : {"unet", "vae", "text_encoder", "tokenizer", "scheduler"})
    fs::create_directories(out / sub);
  const std::map<std::string, std::string> pt{{"format", "pt"}};
  io::write_safetensors((out / "unet/diffusion_pytorch_model.safetensors").string(),
                        module_tensors(*unet), pt);
  write_json(out / "unet/config.json", unet_config_json(unet->config()));
  io::write_safetensors((out / "vae/diffusion_pytorch_model.safetensors").string(),
                        module_tensors(*vae), pt);
  nn::AutoencoderKLConfig vae_config = vae->config();
  vae_config.scaling_factor = files.scaling_factor;
  write_json(out / "vae/config.json", vae_config_json(vae_config));
  io::write_safetensors((out / "text_encoder/model.safetensors").string(),
                        module_tensors(*text_encoder), pt);
  write_json(out / "text_encoder/config.json",
             text_encoder_config_json(text_encoder->config(), tokenizer.sot(),
                                      text_encoder->config().hidden_size));

  io::write_file_atomically((out / "tokenizer/merges.txt").string(), read_text(files.merges_path));
  write_json(out / "tokenizer/vocab.json", vocab_json(tokenizer));
  // Padding with "!" (id 0) as the ToyWorld CLIP's tokenize does, and as the UNet was
  // trained: the causal text encoder's states after the end token depend on it.
  const nlohmann::ordered_json special = {{"bos_token", "<|startoftext|>"},
                                          {"eos_token", "<|endoftext|>"},
                                          {"pad_token", "!"},
                                          {"unk_token", "<|endoftext|>"}};
  write_json(out / "tokenizer/special_tokens_map.json", special);
  nlohmann::ordered_json tok_config = special;
  tok_config["tokenizer_class"] = "CLIPTokenizer";
  tok_config["model_max_length"] = files.context_length;
  tok_config["do_lower_case"] = true;
  tok_config["clean_up_tokenization_spaces"] = true;
  write_json(out / "tokenizer/tokenizer_config.json", tok_config);

  write_json(out / "scheduler/scheduler_config.json", {{"_class_name", "DDIMScheduler"},
                                                       {"_diffusers_version", kDiffusersVersion},
                                                       {"beta_end", 0.012},
                                                       {"beta_schedule", "scaled_linear"},
                                                       {"beta_start", 0.00085},
                                                       {"clip_sample", false},
                                                       {"num_train_timesteps", 1000},
                                                       {"prediction_type", "epsilon"},
                                                       {"set_alpha_to_one", false},
                                                       {"steps_offset", 1},
                                                       {"timestep_spacing", "leading"},
                                                       {"trained_betas", nullptr}});
  write_json(out / "model_index.json", {{"_class_name", "StableDiffusionPipeline"},
                                        {"_diffusers_version", kDiffusersVersion},
                                        {"feature_extractor", {nullptr, nullptr}},
                                        {"requires_safety_checker", false},
                                        {"safety_checker", {nullptr, nullptr}},
                                        {"scheduler", {"diffusers", "DDIMScheduler"}},
                                        {"text_encoder", {"transformers", "CLIPTextModel"}},
                                        {"tokenizer", {"transformers", "CLIPTokenizer"}},
                                        {"unet", {"diffusers", "UNet2DConditionModel"}},
                                        {"vae", {"diffusers", "AutoencoderKL"}}});

  nlohmann::ordered_json j;
  j["format"] = "blendiff-pack/1";
  j["name"] = "toyworld-latent";
  j["title"] = "ToyWorld latent";
  j["description"] =
      "Blended Latent Diffusion on ToyWorld: a small AutoencoderKL (f = 4, 64x64 scenes to "
      "4x16x16 latents) and a text-conditional UNet2DConditionModel trained from scratch by "
      "blendiff-train on procedural scenes of coloured shapes (circle, square, triangle, "
      "star, ring in red, orange, yellow, green, blue, purple, white, black), conditioned on "
      "the ToyWorld CLIP's frozen text tower. Prompts of the form 'a <colour> <shape>' "
      "(optionally with small/medium/large).";
  j["method"] = "blended-latent";
  j["image_size"] = arch.image_size;
  j["unet"] = pack_file_entry(out_dir, "unet/diffusion_pytorch_model.safetensors");
  j["vae"] = pack_file_entry(out_dir, "vae/diffusion_pytorch_model.safetensors");
  j["text_encoder"] = pack_file_entry(out_dir, "text_encoder/model.safetensors");
  auto tok = pack_file_entry(out_dir, "tokenizer/merges.txt");
  tok["context_length"] = files.context_length;
  j["tokenizer"] = tok;
  j["scheduler"] = {{"file", "scheduler/scheduler_config.json"}};
  if (!files.ranking_clip_path.empty()) {
    io::write_file_atomically((out / "clip.safetensors").string(),
                              read_text(files.ranking_clip_path));
    auto clip = pack_file_entry(out_dir, "clip.safetensors");
    clip["config"] = files.ranking_clip_config;
    j["clip"] = clip;
  }
  j["training"] = files.training;
  // Blended Latent Diffusion's 50 DDIM steps; 4 candidates in one batch (8 with guidance).
  j["defaults"] = {{"timestep_respacing", "50"}, {"batch_size", 4}, {"iterations", 1}};
  write_json(out / "pack.json", j);
}

}  // namespace bd::toyworld
