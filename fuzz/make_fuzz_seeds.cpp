// make_fuzz_seeds SOURCE_DIR OUT_DIR: writes the seed corpora of the fuzz targets
// (fuzz/corpus/<target>/) from the repository's own fixtures and our own writers, so
// nothing in them comes from elsewhere. Re-run it when a format gains a feature.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <opencv2/core.hpp>

#include "bd/error.h"
#include "bd/image.h"
#include "io/mapped_file.h"
#include "io/safetensors.h"
#include "io/zip_archive.h"

namespace fs = std::filesystem;
using namespace bd;

namespace {

fs::path out_root;

void write(const std::string& target, const std::string& name, const std::string& bytes) {
  const fs::path dir = out_root / target;
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << bytes;
}

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  return std::string(std::istreambuf_iterator<char>(in), {});
}

Image gradient(int w, int h, int channels, int depth) {
  Image img;
  img.width = w;
  img.height = h;
  img.channels = channels;
  img.depth = depth;
  img.data.resize(static_cast<std::size_t>(w) * h * img.bytes_per_pixel());
  for (std::size_t i = 0; i < img.data.size(); ++i) img.data[i] = static_cast<std::uint8_t>(i * 7 + i / 13);
  return img;
}

Image rect(int w, int h, int x0, int y0, int x1, int y1) {
  Image m = gradient(w, h, 1, 8);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) m.data[y * w + x] = x >= x0 && x < x1 && y >= y0 && y < y1 ? 255 : 0;
  return m;
}

std::string encoded(const Image& img, const std::string& ext, const std::map<std::string, std::string>& text = {}) {
  const fs::path tmp = out_root / ("tmp" + ext);
  save_image(tmp.string(), img, text);
  std::string bytes = read(tmp);
  fs::remove(tmp);
  return bytes;
}

// The image target's input: 4-byte little-endian image length, image file, mask file.
std::string image_and_mask(const std::string& image, const std::string& mask) {
  const auto n = static_cast<std::uint32_t>(image.size());
  std::string s = {char(n & 0xff), char((n >> 8) & 0xff), char((n >> 16) & 0xff), char(n >> 24)};
  return s + image + mask;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: make_fuzz_seeds SOURCE_DIR OUT_DIR\n");
    return 2;
  }
  const fs::path src = argv[1];
  out_root = argv[2];
  try {
    // safetensors: our writer, every dtype, metadata, scalars and empty tensors.
    {
      const fs::path tmp = out_root / "tmp.safetensors";
      auto save = [&](const std::string& name, const std::vector<io::NamedTensor>& t,
                      const std::map<std::string, std::string>& meta) {
        fs::create_directories(out_root);
        io::write_safetensors(tmp.string(), t, meta);
        write("safetensors", name, read(tmp));
        fs::remove(tmp);
      };
      save("f32_meta.safetensors", {{"w", torch::arange(6, torch::kFloat32).reshape({2, 3})}}, {{"format", "pt"}});
      save("dtypes.safetensors",
           {{"a", torch::ones({2}, torch::kFloat16)}, {"b", torch::ones({2}, torch::kBFloat16)},
            {"c", torch::ones({3}, torch::kInt64)}, {"d", torch::ones({1}, torch::kBool)},
            {"e", torch::ones({2, 2}, torch::kFloat64)}, {"f", torch::ones({4}, torch::kUInt8)}},
           {});
      save("scalar_empty.safetensors", {{"s", torch::tensor(3.5f)}, {"z", torch::zeros({0, 4})}}, {});
    }
    // Checkpoints and TorchScript archives: the fixtures tests/data/gen made.
    const fs::path ck = src / "tests/data/checkpoints";
    for (const char* f : {"tiny_zip.pt", "tiny_deflated.pt", "tiny_archive.pt", "nested.pt", "tiny_legacy.pt",
                          "evil_legacy.pt", "evil_os_system.pt"})
      write("torch_checkpoint", f, read(ck / f));
    write("torchscript", "tiny_script.pt", read(ck / "tiny_script.pt"));
    // Unpickler: the pickles inside those archives, and the legacy file (its first pickles).
    write("unpickler", "evil_plain.pkl", read(ck / "evil_plain.pkl"));
    write("unpickler", "tiny_legacy.pt", read(ck / "tiny_legacy.pt"));
    for (const char* f : {"tiny_zip.pt", "nested.pt", "tiny_script.pt", "evil_os_system.pt"}) {
      const io::ZipArchive zip(io::MappedFile::open((ck / f).string()));
      for (const auto& name : zip.names()) {
        if (name.size() < 4 || name.substr(name.size() - 4) != ".pkl") continue;
        const io::ByteSpan b = zip.read(name);
        std::string flat = std::string(f) + "-" + name;
        for (char& c : flat)
          if (c == '/') c = '_';
        write("unpickler", flat, std::string(reinterpret_cast<const char*>(b.data), b.size));
      }
    }
    // pack.json: the ToyWorld manifest and a minimal one.
    write("pack_json", "toyworld.json", read(src / "models/toyworld/pack.json"));
    write("pack_json", "minimal.json",
          R"({"format": "blendiff-pack/1", "image_size": 32, "unet": {"file": "u.safetensors", "bytes": 4},)"
          R"( "clip": {"file": "c.pt", "sha256": "00"}, "tokenizer": {"file": "m.txt", "context_length": 77},)"
          R"( "defaults": {"skip_timesteps": 5, "padding": 0.5, "seed": 3}})");
    // Parameters texts: what we write, and the shorter form other tools and older exports have.
    write("parameters_text", "ours.txt",
          "a red ball\nSteps: \"10,20\", Skip steps: 25, Sampler: DDIM, Batch: 4, Runs: 2, Seed: 405, "
          "CLIP weight: 1000, Mode: blended, Fidelity: product, Invert mask: no, Padding: 0.25, Grow mask: -3, "
          "Feather: 4, Score: 0.8123, Model: \"toy, world\"");
    write("parameters_text", "short.txt", "two\nlines\nSteps: 100, Sampler: DDPM, Seed: 7, Score: 1.5, Model: m");
    // Tokenizer folder settings as Stable Diffusion 1.x and 2.x write them.
    write("tokenizer_config", "sd1_special_tokens_map.json",
          R"({"bos_token": {"content": "<|startoftext|>", "lstrip": false, "normalized": true},)"
          R"( "eos_token": {"content": "<|endoftext|>"}, "pad_token": "<|endoftext|>", "unk_token": "<|endoftext|>"})");
    write("tokenizer_config", "sd1_tokenizer_config.json",
          R"({"add_prefix_space": false, "do_lower_case": true, "model_max_length": 77,)"
          R"( "pad_token": "<|endoftext|>", "tokenizer_class": "CLIPTokenizer"})");
    write("tokenizer_config", "sd2_special_tokens_map.json",
          R"({"pad_token": {"content": "!", "lstrip": false, "normalized": false, "rstrip": false}})");
    write("tokenizer_config", "no_limit.json", R"({"model_max_length": 1e30, "pad_token": null})");
    // Prompts with what ftfy repairs: mojibake (also lossy), entities, controls, emoji.
    write("text_fix", "mojibake.txt", "caf\xc3\x83\xc2\xa9 \xc3\xa2\xe2\x82\xac\xe2\x84\xa2 it\xc3\xa2\xe2\x82\xac\xef\xbf\xbds");
    write("text_fix", "entities.txt", "&amp;amp; &EACUTE; &#x1F600; <b>&lt;</b>\nline two &nbsp;");
    write("text_fix", "controls.txt", "a\x1b[31mred\x1b[0m\r\nb\xc2\x85" "c\xef\xbb\xbf\xe2\x80\x8b");
    write("text_fix", "emoji.txt", "\xf0\x9f\x91\xa9\xf0\x9f\x8f\xbd\xe2\x80\x8d\xf0\x9f\x92\xbb \xef\xac\x81sh \xef\xbc\xa1");
    // The editor's history index: two jobs as it writes them, and an empty one.
    write("history_index", "two_jobs.json",
          R"({"format": "blendiff-history", "version": 1,)"
          R"( "image": {"sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "name": "scene.png"},)"
          R"( "jobs": [{"id": "20261205-162735123-0", "prompt": "a red ball", "parameters": "Steps: 50, Seed: 404",)"
          R"( "pack": "ToyWorld", "started": "2026-12-05T16:27:35.123Z", "state": "done", "candidates": [)"
          R"({"file": "20261205-162735123-0_0_0.png", "score": 0.8123, "seed": "18446744073709551615", "iteration": 0,)"
          R"( "index": 0, "seconds": 3.5, "parameters": "a red ball\nSteps: 50, Seed: 404", "exported": true, "applied": false}]},)"
          R"( {"id": "20261205-163000000-1", "prompt": "a \"blue\" ball\u00e9", "parameters": "", "pack": "p",)"
          R"( "started": "2026-12-05T18:30:00+02:00", "state": "cancelled", "candidates": []}]})");
    write("history_index", "empty.json",
          R"({"format": "blendiff-history", "version": 1, "image": {"sha256": )"
          R"("0000000000000000000000000000000000000000000000000000000000000000", "name": ""}, "jobs": []})");
    // Images and masks in every format, depth and channel count the loader takes.
    const Image mask = rect(24, 16, 6, 4, 18, 12);
    const std::string mask_png = encoded(mask, ".png");
    write("image_mask", "rgb_png", image_and_mask(encoded(gradient(24, 16, 3, 8), ".png"), mask_png));
    write("image_mask", "rgba16_png", image_and_mask(encoded(gradient(24, 16, 4, 16), ".png"), mask_png));
    write("image_mask", "gray_jpg_bmp_mask", image_and_mask(encoded(gradient(24, 16, 1, 8), ".jpg"), encoded(mask, ".bmp")));
    write("image_mask", "webp_tiff_mask", image_and_mask(encoded(gradient(24, 16, 3, 8), ".webp"), encoded(mask, ".tiff")));
    write("image_mask", "tiff16_other_size_mask", image_and_mask(encoded(gradient(24, 16, 3, 16), ".tiff"),
                                                                  encoded(rect(8, 8, 2, 2, 6, 6), ".png")));
    write("image_mask", "rgb_bmp", image_and_mask(encoded(gradient(24, 16, 3, 8), ".bmp"), mask_png));
    const std::map<std::string, std::string> parameters = {{"parameters", "a red ball\nSteps: 100, Seed: 7"}};
    write("image_mask", "jpg_with_parameters", image_and_mask(encoded(gradient(24, 16, 3, 8), ".jpg", parameters), mask_png));
    write("image_mask", "webp_rgba_with_parameters",
          image_and_mask(encoded(gradient(24, 16, 4, 8), ".webp", parameters), mask_png));
    const fs::path im = src / "tests/data/images";
    write("image_mask", "cmyk_jpg", image_and_mask(read(im / "cmyk.jpg"), mask_png));
    write("image_mask", "exif_orient6_jpg", image_and_mask(read(im / "orient6.jpg"), mask_png));
    write("image_mask", "gray_alpha_png", image_and_mask(read(im / "gray_alpha.png"), mask_png));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_fuzz_seeds: %s\n", e.what());
    return 1;
  }
  return 0;
}
