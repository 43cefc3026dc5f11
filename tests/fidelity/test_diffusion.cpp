// Gaussian diffusion against guided-diffusion's golden vectors: schedules, respacing,
// the timestep plumbing (including blended-diffusion's unscale quirk) and single
// DDPM/DDIM steps, guided and not. Everything the rows check comes from the sidecars.
#include <torch/torch.h>
#include <QtTest/QtTest>

#include <limits>
#include <map>
#include <regex>

#include "bd/error.h"
#include "diffusion/gaussian_diffusion.h"
#include "diffusion/respace.h"
#include "diffusion/schedule.h"
#include "io/tensor_file.h"
#include "test_support.h"

using namespace bd;
using nlohmann::json;

namespace {

constexpr double kTableTolerance = 1e-9;  // float64 tables
constexpr double kStepTolerance = 1e-6;   // float32 steps

struct Reference {
  json sidecar;
  io::TensorFile tensors;

  torch::Tensor at(const std::string& name) const {
    const torch::Tensor& t = tensors.at(name);
    return t.scalar_type() == torch::kFloat16 ? t.to(torch::kFloat32) : t;
  }
  // The index's names below "<prefix>." whose dtype string starts with `dtype` ("" = any).
  std::vector<std::string> keys(const std::string& prefix, const std::string& dtype = "") const {
    std::vector<std::string> out;
    for (const auto& [name, type] : sidecar.at("tensors").items()) {
      if (name.rfind(prefix + ".", 0) == 0 && type.get<std::string>().rfind(dtype, 0) == 0) {
        out.push_back(name);
      }
    }
    return out;
  }
};

const Reference& reference(const std::string& path) {
  static std::map<std::string, Reference> cache;
  auto it = cache.find(path);
  if (it == cache.end()) {
    it = cache.emplace(path, Reference{test::read_sidecar(path), io::read_tensor_file(path)}).first;
  }
  return it->second;
}

diffusion::GaussianDiffusion make_diffusion(const json& sidecar, const std::string& respacing) {
  const json& kw = sidecar.at("create_gaussian_diffusion_kwargs");
  diffusion::DiffusionConfig config;
  for (const auto& [key, value] : kw.items()) {
    if (key == "steps")
      config.steps = value.get<int64_t>();
    else if (key == "noise_schedule")
      config.noise_schedule = value.get<std::string>();
    else if (key == "learn_sigma")
      config.learn_sigma = value.get<bool>();
    else if (key == "sigma_small")
      config.sigma_small = value.get<bool>();
    else if (key == "predict_xstart")
      config.predict_xstart = value.get<bool>();
    else if (key == "rescale_timesteps")
      config.rescale_timesteps = value.get<bool>();
    else if (key != "use_kl" && key != "rescale_learned_sigmas")  // training-only
      throw std::runtime_error("sidecar kwarg '" + key + "' is not understood by this test");
  }
  config.timestep_respacing = respacing;
  return diffusion::GaussianDiffusion::create(config);
}

std::string after_prefix(const std::string& name, const std::string& prefix) {
  return name.substr(prefix.size() + 1);
}

torch::Tensor int_tensor(const std::vector<int64_t>& v) { return torch::tensor(v, torch::kInt64); }

// Rows "<file stem>/<respacing>" over every respacing kind a sidecar lists.
void add_respacing_rows(const std::vector<std::string>& groups) {
  QTest::addColumn<QString>("file");
  QTest::addColumn<QString>("respacing");
  for (const std::string& path : test::reference_files("diffusion_")) {
    const json& sidecar = reference(path).sidecar;
    const QString stem = QFileInfo(QString::fromStdString(path)).completeBaseName();
    for (const std::string& group : groups) {
      if (!sidecar.contains(group)) continue;
      for (const auto& [respacing, _] : sidecar.at(group).items()) {
        QTest::newRow(qPrintable(stem + "/" + QString::fromStdString(respacing)))
            << QString::fromStdString(path) << QString::fromStdString(respacing);
      }
    }
  }
}

void report(const std::string& what, double error, double tolerance) {
  qInfo("%-58s rel %.3e (tol %.0e)", what.c_str(), error, tolerance);
  QVERIFY2(error <= tolerance,
           qPrintable(QString::fromStdString(what) + " relative error " + QString::number(error)));
}

// Tables span decades (ᾱ from 1 to 4e-5), so each entry is held to its own magnitude;
// exact zeros (ᾱ_next's last entry, σ²_post[0]) must stay exact.
double elementwise_relative_error(const std::vector<double>& a, const torch::Tensor& ref) {
  const torch::Tensor r = ref.to(torch::kFloat64);
  if (r.numel() != static_cast<int64_t>(a.size())) return std::numeric_limits<double>::infinity();
  const torch::Tensor diff = (torch::tensor(a, torch::kFloat64) - r).abs();
  return torch::where(r == 0, diff, diff / r.abs()).max().item<double>();
}

void compare_tables(const Reference& ref, const std::string& prefix,
                    const diffusion::GaussianDiffusion& d) {
  const auto names = ref.keys(prefix, "float64");
  QVERIFY(!names.empty());
  for (const std::string& name : names) {
    const std::vector<double>* table = d.tables().find(after_prefix(name, prefix));
    QVERIFY2(table != nullptr, qPrintable("no table for " + QString::fromStdString(name)));
    report(name, elementwise_relative_error(*table, ref.at(name)), kTableTolerance);
  }
}

}  // namespace

class TestDiffusion : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() {
    QVERIFY2(!test::reference_files("diffusion_").empty(),
             qPrintable("no diffusion_*.pt in " + QString::fromStdString(test::refvectors_dir())));
  }

  // ---- unit rows ---------------------------------------------------------------------

  void spaceTimesteps_data() {
    QTest::addColumn<int>("steps");
    QTest::addColumn<QString>("respacing");
    QTest::addColumn<QList<int>>("expected");
    QList<int> stride40;
    for (int i = 0; i < 25; ++i) stride40 << 40 * i;
    QTest::newRow("ddim25 is stride 40") << 1000 << "ddim25" << stride40;
    QTest::newRow("three sections")
        << 1000 << "10,15,20"
        << QList<int>{0,   37,  74,  111, 148, 185, 222, 259, 296, 333, 334, 358, 381, 405, 429,
                      453, 476, 500, 524, 547, 571, 595, 619, 642, 666, 667, 684, 702, 719, 737,
                      754, 772, 789, 807, 824, 842, 859, 877, 894, 912, 929, 947, 964, 982, 999};
    // 4.5 → 4: Python's round-half-even, where half-up would keep 5.
    QTest::newRow("banker's rounding") << 10 << "5" << QList<int>{0, 2, 4, 7, 9};
    QTest::newRow("python int syntax")
        << 1000 << " 3, 1_0"
        << QList<int>{0, 250, 499, 500, 555, 611, 666, 722, 777, 833, 888, 944, 999};
  }
  void spaceTimesteps() {
    QFETCH(int, steps);
    QFETCH(QString, respacing);
    QFETCH(QList<int>, expected);
    const std::vector<int64_t> got = diffusion::space_timesteps(steps, respacing.toStdString());
    QCOMPARE(QList<int>(got.begin(), got.end()), expected);
  }

  void rejectsBadRespacings_data() {
    QTest::addColumn<int>("steps");
    QTest::addColumn<QString>("respacing");
    QTest::addColumn<QString>("expected");
    QTest::newRow("no integer stride") << 1000 << "ddim1"
                                       << "integer stride";
    QTest::newRow("ddim more than T") << 1000 << "ddim2000"
                                      << "integer stride";
    QTest::newRow("ddim without count") << 1000 << "ddim"
                                        << "step count";
    QTest::newRow("ddim garbage") << 1000 << "ddimx"
                                  << "step count";
    QTest::newRow("not a number") << 1000 << "abc"
                                  << "not an integer";
    QTest::newRow("empty section") << 1000 << "10,,5"
                                   << "not an integer";
    QTest::newRow("double underscore") << 1000 << "1__0"
                                       << "not an integer";
    QTest::newRow("section too small") << 1000 << "600,600"
                                       << "cannot divide";
    QTest::newRow("more than T") << 1000 << "2000"
                                 << "cannot divide";
    QTest::newRow("zero") << 1000 << "0"
                          << "not positive";
    QTest::newRow("negative") << 1000 << "50,-5"
                              << "not positive";
  }
  void rejectsBadRespacings() {
    QFETCH(int, steps);
    QFETCH(QString, respacing);
    QFETCH(QString, expected);
    try {
      diffusion::space_timesteps(steps, respacing.toStdString());
      QFAIL("accepted a bad respacing");
    } catch (const Error& e) {
      QCOMPARE(e.kind(), ErrorKind::InvalidInput);
      const QString msg = e.what();
      QVERIFY2(msg.contains("'" + respacing + "'") && msg.contains(expected), qPrintable(msg));
    }
  }

  void rejectsBadInputs() {
    QVERIFY_THROWS_EXCEPTION(Error, diffusion::named_beta_schedule("quadratic", 1000));
    const auto d = diffusion::GaussianDiffusion::create({});
    const torch::Tensor x = torch::zeros({2, 3, 4, 4});
    const torch::Tensor t = torch::tensor({5, 0}, torch::kInt64);
    // ε without the variance half, t of the wrong length, t past the last step.
    QVERIFY_THROWS_EXCEPTION(Error, d.p_mean_variance(torch::zeros({2, 3, 4, 4}), x, t));
    QVERIFY_THROWS_EXCEPTION(Error,
                             d.p_mean_variance(torch::zeros({2, 6, 4, 4}), x, t.narrow(0, 0, 1)));
    QVERIFY_THROWS_EXCEPTION(Error, d.q_sample(x, torch::tensor({100, 0}, torch::kInt64)));
  }

  void betaSchedules_data() {
    QTest::addColumn<QString>("schedule");
    QTest::addColumn<int>("steps");
    QTest::addColumn<int>("index");
    QTest::addColumn<double>("expected");
    // numpy.linspace and guided_diffusion's betas_for_alpha_bar, printed by Python.
    QTest::newRow("linear 1") << "linear" << 1000 << 1 << 0.00011991991991991993;
    QTest::newRow("linear 500") << "linear" << 1000 << 500 << 0.010059959959959959;
    QTest::newRow("linear 998") << "linear" << 1000 << 998 << 0.01998008008008008;
    QTest::newRow("linear T=250 1") << "linear" << 250 << 1 << 0.0007196787148594378;
    QTest::newRow("linear T=250 last") << "linear" << 250 << 249 << 0.08;
    QTest::newRow("cosine 0") << "cosine" << 1000 << 0 << 4.128422482196914e-05;
    QTest::newRow("cosine 500") << "cosine" << 1000 << 500 << 0.003155691441585007;
    QTest::newRow("cosine 998") << "cosine" << 1000 << 998 << 0.7499993929011166;
    QTest::newRow("cosine capped") << "cosine" << 1000 << 999 << 0.999;
  }
  void betaSchedules() {
    QFETCH(QString, schedule);
    QFETCH(int, steps);
    QFETCH(int, index);
    QFETCH(double, expected);
    const std::vector<double> betas = diffusion::named_beta_schedule(schedule.toStdString(), steps);
    QCOMPARE(betas.size(), std::size_t(steps));
    QVERIFY2(std::abs(betas[index] - expected) <= kTableTolerance * expected,
             qPrintable(QString::number(betas[index], 'g', 17)));
  }

  // ---- golden vectors ----------------------------------------------------------------

  void baseSchedule_data() { test::add_reference_rows("diffusion_"); }
  // "base.*" is what create_gaussian_diffusion builds without a respacing: every step
  // kept, β rebuilt from ᾱ (ulps away from the linspace β, which the values show).
  void baseSchedule() {
    QFETCH(QString, path);
    const Reference& ref = reference(path.toStdString());
    compare_tables(ref, "base", make_diffusion(ref.sidecar, ""));
  }

  void tables_data() { add_respacing_rows({"respacings"}); }
  void tables() {
    QFETCH(QString, file);
    QFETCH(QString, respacing);
    const Reference& ref = reference(file.toStdString());
    const std::string r = respacing.toStdString();
    compare_tables(ref, r, make_diffusion(ref.sidecar, r));
  }

  // timestep_map, what the model and cond_fn receive, and blended-diffusion's unscale.
  void timesteps_data() { add_respacing_rows({"respacings", "unscale_only_respacings"}); }
  void timesteps() {
    QFETCH(QString, file);
    QFETCH(QString, respacing);
    const Reference& ref = reference(file.toStdString());
    const std::string r = respacing.toStdString();
    const json& info =
        ref.sidecar.contains("respacings") && ref.sidecar.at("respacings").contains(r)
            ? ref.sidecar.at("respacings").at(r)
            : ref.sidecar.at("unscale_only_respacings").at(r);
    const auto d = make_diffusion(ref.sidecar, r);
    const int64_t n = info.at("num_timesteps").get<int64_t>();
    QCOMPARE(d.num_timesteps(), n);
    QVERIFY(torch::equal(int_tensor(d.timestep_map()), ref.at(r + ".timestep_map")));

    const torch::Tensor cond_fn_t = d.model_timesteps(torch::arange(n, torch::kInt64));
    QVERIFY(torch::equal(cond_fn_t, ref.at(r + ".cond_fn_t")));
    const torch::Tensor unscaled = diffusion::unscale_timestep(ref.at(r + ".cond_fn_t"), n);
    QVERIFY(torch::equal(unscaled, ref.at(r + ".blended_unscaled_t")));
    if (info.contains("index_vs_unscaled_mismatches")) {
      std::vector<std::vector<int64_t>> mismatches;
      for (int64_t i = 0; i < n; ++i) {
        if (unscaled[i].item<int64_t>() != i)
          mismatches.push_back({i, unscaled[i].item<int64_t>()});
      }
      QVERIFY(mismatches ==
              info.at("index_vs_unscaled_mismatches").get<std::vector<std::vector<int64_t>>>());
    }

    if (!info.contains("step_t")) return;
    const torch::Tensor step_t = ref.at(r + ".step.t");
    QVERIFY(torch::equal(step_t, int_tensor(info.at("step_t").get<std::vector<int64_t>>())));
    const torch::Tensor model_t = d.model_timesteps(step_t);
    QVERIFY(torch::equal(model_t, ref.at(r + ".model_t")));
    QVERIFY(torch::equal(model_t,
                         torch::tensor(info.at("model_t_received").get<std::vector<float>>())));
    for (const std::string& name : ref.keys(r + ".cond_fn_t_"))
      QVERIFY(torch::equal(model_t, ref.at(name)));
  }

  // One row per documented call; its kind, clip_denoised, η, guidance and noise index
  // are read from the sidecar's call description.
  void steps_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("respacing");
    QTest::addColumn<QString>("call");
    for (const std::string& path : test::reference_files("diffusion_")) {
      const json& sidecar = reference(path).sidecar;
      const QString stem = QFileInfo(QString::fromStdString(path)).completeBaseName();
      for (const auto& [respacing, info] : sidecar.at("respacings").items()) {
        for (const auto& [call, text] : info.at("calls").items()) {
          if (text.get<std::string>().rfind("d.", 0) != 0) continue;  // a note, not a call
          QTest::newRow(qPrintable(stem + "/" + QString::fromStdString(respacing + "/" + call)))
              << QString::fromStdString(path) << QString::fromStdString(respacing)
              << QString::fromStdString(call);
        }
      }
    }
  }
  void steps() {
    QFETCH(QString, file);
    QFETCH(QString, respacing);
    QFETCH(QString, call);
    const Reference& ref = reference(file.toStdString());
    const std::string r = respacing.toStdString();
    const std::string c = call.toStdString();
    const std::string text = ref.sidecar.at("respacings").at(r).at("calls").at(c);
    const auto d = make_diffusion(ref.sidecar, r);

    std::smatch m;
    QVERIFY2(std::regex_search(text, m, std::regex(R"(^d\.(\w+)\()")), text.c_str());
    const std::string kind = m[1];
    torch::Tensor noise;
    if (std::regex_search(text, m, std::regex(R"(noise\.(\d+))")))
      noise = ref.at(r + ".step.noise." + m[1].str());
    diffusion::StepOptions options;
    options.clip_denoised = text.find("clip_denoised=True") != std::string::npos;
    if (std::regex_search(text, m, std::regex(R"(eta=([-+0-9.eE]+))")))
      options.eta = std::stod(m[1]);

    const torch::Tensor x = ref.at(r + ".step.x");
    const torch::Tensor t = ref.at(r + ".step.t");
    const torch::Tensor model_out = ref.at(r + ".step.model_out");
    const torch::Tensor grad = ref.at(r + ".step.cond_grad");
    int cond_calls = 0;
    if (text.find("cond_fn") != std::string::npos) {
      options.cond_fn = [&](const torch::Tensor& x_in, const torch::Tensor& t_in) {
        ++cond_calls;
        // The respaced index itself, not the reference's original-scale float.
        if (!torch::equal(t_in, t) || !torch::equal(x_in, x))
          throw std::runtime_error("cond_fn got other x/t");
        return grad;
      };
    }

    std::map<std::string, torch::Tensor> out;
    if (kind == "p_mean_variance") {
      const auto mv = d.p_mean_variance(model_out, x, t, options.clip_denoised);
      out = {{"mean", mv.mean},
             {"variance", mv.variance},
             {"log_variance", mv.log_variance},
             {"pred_xstart", mv.pred_xstart}};
    } else if (kind == "p_sample" || kind == "ddim_sample") {
      QVERIFY2(noise.defined(), "a sampling call without its noise");
      const auto s = kind == "p_sample" ? d.p_sample(model_out, x, t, noise, options)
                                        : d.ddim_sample(model_out, x, t, noise, options);
      out = {{"sample", s.sample}, {"pred_xstart", s.pred_xstart}};
      QCOMPARE(cond_calls, options.cond_fn ? 1 : 0);
    } else if (kind == "q_sample") {
      QVERIFY2(noise.defined(), "q_sample without its noise");
      out = {{"sample", d.q_sample(x, t, noise)}};
    } else if (kind == "condition_mean") {
      out = {{"mean",
              d.condition_mean(d.p_mean_variance(model_out, x, t, options.clip_denoised), grad)}};
    } else if (kind == "condition_score") {
      const auto mv =
          d.condition_score(d.p_mean_variance(model_out, x, t, options.clip_denoised), x, t, grad);
      out = {{"mean", mv.mean}, {"pred_xstart", mv.pred_xstart}};
    } else {
      QFAIL(qPrintable("unknown call kind " + QString::fromStdString(kind)));
    }

    const auto names = ref.keys(r + "." + c);
    QVERIFY2(!names.empty(), "no stored outputs for this call");
    for (const std::string& name : names) {
      const auto it = out.find(after_prefix(name, r + "." + c));
      QVERIFY2(it != out.end(), qPrintable("no output for " + QString::fromStdString(name)));
      QCOMPARE(it->second.sizes(), ref.at(name).sizes());
      report(name, test::relative_error(it->second, ref.at(name)), kStepTolerance);
    }
  }

  // The same steps on CUDA must give the CPU's numbers (tables are gathered on the CPU).
  void deviceAgnostic() {
    if (!torch::cuda::is_available()) QSKIP("no CUDA device");
    for (const std::string& path : test::reference_files("diffusion_")) {
      const Reference& ref = reference(path);
      for (const auto& [r, info] : ref.sidecar.at("respacings").items()) {
        const auto d = make_diffusion(ref.sidecar, r);
        const torch::Tensor x = ref.at(r + ".step.x");
        const torch::Tensor t = ref.at(r + ".step.t");
        const torch::Tensor out = ref.at(r + ".step.model_out");
        const torch::Tensor noise = ref.at(r + ".step.noise.0");
        const torch::Device cuda(torch::kCUDA);
        diffusion::StepOptions guided;
        guided.cond_fn = [&](const torch::Tensor& xi, const torch::Tensor&) {
          return ref.at(r + ".step.cond_grad").to(xi.device());
        };
        guided.eta = 0.5;
        for (const bool ddim : {false, true}) {
          const auto step = [&](const torch::Device& dev) {
            return ddim ? d.ddim_sample(out.to(dev), x.to(dev), t.to(dev), noise.to(dev), guided)
                        : d.p_sample(out.to(dev), x.to(dev), t.to(dev), noise.to(dev), guided);
          };
          const auto on_gpu = step(cuda);
          QVERIFY(on_gpu.sample.is_cuda());
          report(r + (ddim ? " ddim on CUDA vs CPU" : " p_sample on CUDA vs CPU"),
                 test::relative_error(on_gpu.sample, step(torch::kCPU).sample), kStepTolerance);
        }
      }
    }
  }
};

QTEST_GUILESS_MAIN(TestDiffusion)
#include "test_diffusion.moc"
