#pragma once
// Where Blendiff finds its data: model packs and sample scenes, in the build tree, an
// installed prefix, the user's data folder, or folders the user configured.
#include <string>
#include <vector>

namespace bd {

// Folders that may hold model packs, most specific first: $BLENDIFF_MODELS (colon
// separated), the user data folder (~/.local/share/blendiff/models), the installed
// <prefix>/share/blendiff/models, and the source tree's models/ next to a build.
std::vector<std::string> model_search_dirs();

// The ToyWorld pack's folder, or "" when no search folder has one.
std::string default_pack_dir();

// The bundled sample scenes (resources/samples in the tree, share/blendiff/samples
// installed), or "" when absent.
std::string samples_dir();

// The user's data folder for Blendiff (~/.local/share/blendiff or $XDG_DATA_HOME).
std::string user_data_dir();

}  // namespace bd
