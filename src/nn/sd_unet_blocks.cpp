#include "nn/sd_unet_blocks.h"

#include <torch/torch.h>

namespace bd::nn {

ResnetBlock2D make_resnet(const SDBlockOptions& o, int64_t in_channels, int64_t out_channels) {
  ResnetBlock2DOptions r;
  r.in_channels = in_channels;
  r.out_channels = out_channels;
  r.temb_channels = o.temb_channels;
  r.groups = o.groups;
  r.eps = o.eps;
  r.output_scale_factor = o.output_scale_factor;
  return ResnetBlock2D(r);
}

Transformer2DModel make_transformer(const SDBlockOptions& o, int64_t channels) {
  Transformer2DOptions t;
  t.in_channels = channels;
  t.heads = o.heads;
  // diffusers: Transformer2DModel(num_attention_heads, out_channels // num_attention_heads)
  t.dim_head = channels / o.heads;
  t.num_layers = o.transformer_layers;
  t.cross_attention_dim = o.cross_attention_dim;
  t.norm_groups = o.groups;
  t.use_linear_projection = o.use_linear_projection;
  return Transformer2DModel(t);
}

SDDownBlockImpl::SDDownBlockImpl(const SDBlockOptions& o) {
  resnets_ = register_module("resnets", torch::nn::ModuleList());
  if (o.cross_attention) attentions_ = register_module("attentions", torch::nn::ModuleList());
  for (int64_t i = 0; i < o.num_layers; ++i) {
    resnets_->push_back(make_resnet(o, i == 0 ? o.in_channels : o.out_channels, o.out_channels));
    if (o.cross_attention) attentions_->push_back(make_transformer(o, o.out_channels));
  }
  if (o.resample) {
    downsamplers_ = register_module("downsamplers", torch::nn::ModuleList());
    downsamplers_->push_back(Downsample2D(o.out_channels, o.downsample_padding));
  }
}

torch::Tensor SDDownBlockImpl::forward(torch::Tensor x, const torch::Tensor& temb,
                                       const torch::Tensor& context,
                                       std::vector<torch::Tensor>* skips) {
  for (size_t i = 0; i < resnets_->size(); ++i) {
    x = resnets_->ptr<ResnetBlock2DImpl>(i)->forward(x, temb);  // [B, out, H, W]
    if (attentions_) x = attentions_->ptr<Transformer2DModelImpl>(i)->forward(x, context);
    if (skips) skips->push_back(x);
  }
  if (downsamplers_) {
    x = downsamplers_->ptr<Downsample2DImpl>(0)->forward(x);  // [B, out, H/2, W/2]
    if (skips) skips->push_back(x);
  }
  return x;
}

SDMidBlockCrossAttnImpl::SDMidBlockCrossAttnImpl(const SDBlockOptions& o) {
  resnets_ = register_module("resnets", torch::nn::ModuleList());
  attentions_ = register_module("attentions", torch::nn::ModuleList());
  resnets_->push_back(make_resnet(o, o.in_channels, o.in_channels));
  for (int64_t i = 0; i < o.num_layers; ++i) {
    attentions_->push_back(make_transformer(o, o.in_channels));
    resnets_->push_back(make_resnet(o, o.in_channels, o.in_channels));
  }
}

torch::Tensor SDMidBlockCrossAttnImpl::forward(torch::Tensor x, const torch::Tensor& temb,
                                               const torch::Tensor& context) {
  x = resnets_->ptr<ResnetBlock2DImpl>(0)->forward(x, temb);
  for (size_t i = 0; i < attentions_->size(); ++i) {
    x = attentions_->ptr<Transformer2DModelImpl>(i)->forward(x, context);
    x = resnets_->ptr<ResnetBlock2DImpl>(i + 1)->forward(x, temb);
  }
  return x;
}

SDUpBlockImpl::SDUpBlockImpl(const SDBlockOptions& o) {
  resnets_ = register_module("resnets", torch::nn::ModuleList());
  if (o.cross_attention) attentions_ = register_module("attentions", torch::nn::ModuleList());
  for (int64_t i = 0; i < o.num_layers; ++i) {
    // The last resnet of a level takes the skip saved before that level's downsampler,
    // which still has the level's input width.
    const int64_t skip_channels = i == o.num_layers - 1 ? o.in_channels : o.out_channels;
    const int64_t running = i == 0 ? o.prev_output_channels : o.out_channels;
    resnets_->push_back(make_resnet(o, running + skip_channels, o.out_channels));
    if (o.cross_attention) attentions_->push_back(make_transformer(o, o.out_channels));
  }
  if (o.resample) {
    upsamplers_ = register_module("upsamplers", torch::nn::ModuleList());
    upsamplers_->push_back(Upsample2D(o.out_channels));
  }
}

torch::Tensor SDUpBlockImpl::forward(torch::Tensor x, std::vector<torch::Tensor>& skips,
                                     const torch::Tensor& temb, const torch::Tensor& context) {
  for (size_t i = 0; i < resnets_->size(); ++i) {
    TORCH_CHECK(!skips.empty(), "SDUpBlock: ran out of skip connections");
    x = torch::cat({x, skips.back()}, 1);  // [B, running + skip, H, W]
    skips.pop_back();
    x = resnets_->ptr<ResnetBlock2DImpl>(i)->forward(x, temb);
    if (attentions_) x = attentions_->ptr<Transformer2DModelImpl>(i)->forward(x, context);
  }
  if (upsamplers_) {
    TORCH_CHECK(!skips.empty(), "SDUpBlock: no skip connection to size the upsampling by");
    // diffusers passes the next skip's size only when a side is not a multiple of the total
    // upsampling factor; otherwise it doubles, which gives the same size.
    x = upsamplers_->ptr<Upsample2DImpl>(0)->forward(x, skips.back().sizes().slice(2));
  }
  return x;
}

}  // namespace bd::nn
