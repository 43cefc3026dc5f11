// The edit-parameter table and everything derived from it without a GUI: validate(),
// pack.json defaults, the parameters text (written and read back) and the CLI options.
// Each consumer is checked against every table entry, so one that forgets a parameter,
// or narrows its range, fails here.
#include <QtTest/QtTest>

#include <set>

#include "bd/edit_param_table.h"
#include "bd/parameters_text.h"
#include "edit_options.h"
#include "param_values.h"
#include "params/params_json.h"

using namespace bd;

namespace {

QString q(std::string_view s) { return QString::fromUtf8(s.data(), static_cast<int>(s.size())); }

bool same(const ParamSpec& spec, const EditParams& a, const EditParams& b) { return spec.get(a) == spec.get(b); }

// Every parameter of a and b equal.
QString first_difference(const EditParams& a, const EditParams& b) {
  for (const ParamSpec& spec : edit_param_table())
    if (!same(spec, a, b)) return q(spec.key);
  return {};
}

// A value just outside the range, for numbers; nothing for the others.
std::optional<ParamValue> outside(const ParamSpec& spec) {
  if (spec.type == ParamType::Int) return ParamValue{static_cast<std::int64_t>(spec.max) + 1};
  if (spec.type == ParamType::Double) return ParamValue{spec.max * 2 + 1};
  return std::nullopt;
}

}  // namespace

class TestEditParamTable : public QObject {
  Q_OBJECT

 private slots:
  void entriesAreWellFormed() {
    std::set<std::string_view> keys, labels, flags;
    for (const ParamSpec& spec : edit_param_table()) {
      QVERIFY2(keys.insert(spec.key).second, "duplicate key");
      QVERIFY2(labels.insert(spec.label).second, "duplicate label");
      // The parameters text separates entries by ", " and keys by ": ".
      QVERIFY2(spec.label.find_first_of(",:\"") == std::string_view::npos, spec.label.data());
      QVERIFY(!spec.help.empty());
      QVERIFY(spec.get && spec.set);
      if (!spec.cli.empty()) {
        QVERIFY2(flags.insert(spec.cli).second, "duplicate CLI option");
        QVERIFY(spec.cli.substr(0, 2) == "--");
      }
      if (spec.type == ParamType::Int || spec.type == ParamType::Double) QVERIFY(spec.min < spec.max);
      QVERIFY2(check_param_value(spec, spec.get(EditParams{})).empty(), spec.key.data());
    }
    // Only previews have no CLI option: the CLI shows none.
    for (const ParamSpec& spec : edit_param_table())
      if (spec.cli.empty()) QCOMPARE(q(spec.key), QStringLiteral("preview_every"));
  }

  void validateChecksEveryRange() {
    QCOMPARE(QString::fromStdString(validate(EditParams{})), QString());
    for (const ParamSpec& spec : edit_param_table()) {
      const auto bad = outside(spec);
      if (!bad) continue;
      EditParams p;
      spec.set(p, *bad);
      const std::string problem = validate(p);
      QVERIFY2(problem.rfind(std::string(spec.key) + " must be in [", 0) == 0, problem.c_str());
      if (spec.type == ParamType::Int)
        spec.set(p, ParamValue{static_cast<std::int64_t>(spec.max)});
      else
        spec.set(p, ParamValue{spec.max});
      QCOMPARE(QString::fromStdString(validate(p)), QString());
    }
    EditParams p;
    p.timestep_respacing.clear();
    QCOMPARE(QString::fromStdString(validate(p)), QStringLiteral("timestep_respacing must not be empty"));
    p = EditParams{};
    p.clip_lambda = std::nan("");
    QVERIFY(QString::fromStdString(validate(p)).endsWith("got nan"));
  }

  void packDefaultsTakeEveryParameter() {
    for (const ParamSpec& spec : edit_param_table()) {
      const EditParams changed = test::with_other_value(spec, EditParams{});
      const nlohmann::json j = params_to_json(changed);
      EditParams read;
      std::vector<std::string> problems;
      apply_params_json(j, read, "defaults", problems);
      QVERIFY2(problems.empty(), problems.empty() ? "" : problems.front().c_str());
      QVERIFY2(same(spec, read, changed), spec.key.data());
      QCOMPARE(first_difference(read, changed), QString());
    }
  }

  void packDefaultsReportEveryProblemAtOnce() {
    const nlohmann::json j = nlohmann::json::parse(
        R"({"seed": 1e300, "batch_size": 0, "ddim": "yes", "clip_lamda": 3, "padding": 0.5,
            "timestep_respacing": 50, "iterations": 18446744073709551615})");
    EditParams p;
    std::vector<std::string> problems;
    apply_params_json(j, p, "defaults", problems);
    const std::set<std::string> got(problems.begin(), problems.end());
    const std::set<std::string> expected = {
        "defaults.seed: expected an integer, got 1e+300",
        "defaults.batch_size: batch_size must be in [1, 64], got 0",
        "defaults.ddim: expected true or false, got \"yes\"",
        "defaults.clip_lamda: not an edit parameter",
        "defaults.timestep_respacing: expected a string, got 50",
        "defaults.iterations: expected an integer, got 18446744073709551615",
    };
    QCOMPARE(got, expected);
    QCOMPARE(p.padding, 0.5);            // the good one is taken
    QCOMPARE(p.batch_size, EditParams{}.batch_size);  // the bad ones keep their value
    problems.clear();
    apply_params_json(nlohmann::json::array(), p, "defaults", problems);
    QCOMPARE(problems.size(), std::size_t{1});
  }

  void parametersTextRoundTripsEveryParameter() {
    for (const ParamSpec& spec : edit_param_table()) {
      const EditParams changed = test::with_other_value(spec, EditParams{});
      const std::string text = parameters_text("a red ball, shiny: \"new\"", changed, changed.seed, 0.8125, "toy, world");
      const ParsedParameters back = parse_parameters_text(text, EditParams{});
      QVERIFY2(back.problems.empty(), back.problems.empty() ? "" : back.problems.front().c_str());
      QCOMPARE(first_difference(back.params, changed), QString());
      QCOMPARE(back.read, static_cast<int>(edit_param_table().size()));
      QCOMPARE(QString::fromStdString(back.prompt), QStringLiteral("a red ball, shiny: \"new\""));
      QCOMPARE(QString::fromStdString(back.model), QStringLiteral("toy, world"));
      QCOMPARE(*back.score, 0.8125);
    }
  }

  void parametersTextNamesWhatItCannotRead() {
    EditParams p;
    p.timestep_respacing = "10,20,30";  // commas: quoted
    const std::string written = parameters_text("two\nlines", p, 405, 1.5, "m");
    QVERIFY(written.find("Steps: \"10,20,30\"") != std::string::npos);
    QVERIFY(written.find("Seed: 405") != std::string::npos);  // the candidate's seed
    ParsedParameters back = parse_parameters_text(written, EditParams{});
    QCOMPARE(QString::fromStdString(back.params.timestep_respacing), QStringLiteral("10,20,30"));
    QCOMPARE(back.params.seed, std::uint64_t{405});
    QCOMPARE(QString::fromStdString(back.prompt), QStringLiteral("two\nlines"));

    back = parse_parameters_text("a cat\nSteps: 50, Skip steps: many, Batch: 99, Colour: blue, Sampler: DDIM", EditParams{});
    QCOMPARE(QString::fromStdString(back.prompt), QStringLiteral("a cat"));
    QCOMPARE(QString::fromStdString(back.params.timestep_respacing), QStringLiteral("50"));
    QCOMPARE(back.params.ddim, true);
    QCOMPARE(back.params.batch_size, EditParams{}.batch_size);
    QCOMPARE(back.read, 2);
    QCOMPARE(back.problems.size(), std::size_t{3});
    QVERIFY(QString::fromStdString(back.problems[0]).contains("Skip steps: 'many'"));
    QVERIFY(QString::fromStdString(back.problems[1]).contains("Batch: '99'"));
    QVERIFY(QString::fromStdString(back.problems[2]).contains("unknown parameter 'Colour'"));

    back = parse_parameters_text("just a prompt", EditParams{});
    QCOMPARE(QString::fromStdString(back.prompt), QStringLiteral("just a prompt"));
    QCOMPARE(back.read, 0);
    back = parse_parameters_text("p\nSteps: \"unterminated", EditParams{});
    QCOMPARE(back.read, 0);
    QCOMPARE(back.problems.size(), std::size_t{1});
  }

  void cliHasAnOptionForEveryParameter() {
    for (const ParamSpec& spec : edit_param_table()) {
      if (spec.cli.empty()) continue;
      CLI::App app;
      auto options = std::make_shared<cli::EditParamOptions>();
      cli::add_edit_param_options(&app, options);
      const EditParams changed = test::with_other_value(spec, EditParams{});
      std::vector<std::string> args = {"prog", std::string(spec.cli)};
      if (spec.type == ParamType::Bool) {
        // A flag can only set the value it names: test it from the other state.
        if (std::get<bool>(spec.get(changed)) != spec.cli_sets) continue;
      } else {
        args.push_back(format_param_value(spec, spec.get(changed)));
      }
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      try {
        app.parse(static_cast<int>(argv.size()), argv.data());
      } catch (const CLI::ParseError& e) {
        QFAIL(qPrintable(q(spec.cli) + ": " + e.what()));
      }
      EditParams parsed;
      options->apply(parsed);
      QCOMPARE(first_difference(parsed, changed), QString());
    }
  }

  void cliRefusesWhatTheEngineRefuses() {
    for (const ParamSpec& spec : edit_param_table()) {
      const auto bad = outside(spec);
      if (!bad || spec.cli.empty()) continue;
      CLI::App app;
      auto options = std::make_shared<cli::EditParamOptions>();
      cli::add_edit_param_options(&app, options);
      std::vector<std::string> args = {"prog", std::string(spec.cli), format_param_value(spec, *bad)};
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      QVERIFY_THROWS_EXCEPTION(CLI::ValidationError, app.parse(static_cast<int>(argv.size()), argv.data()));
    }
  }
};

QTEST_GUILESS_MAIN(TestEditParamTable)
#include "test_edit_param_table.moc"
