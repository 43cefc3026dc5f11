#include "params_settings.h"

#include <optional>
#include <type_traits>
#include <variant>

#include "bd/edit_param_table.h"

namespace bd::ui {

namespace {

QString keyOf(const bd::ParamSpec& spec) { return QString::fromUtf8(spec.key.data(), static_cast<int>(spec.key.size())); }

// The stored value of one parameter, or nothing when it is missing, malformed or out of
// range (settings files get edited by hand and outlive the ranges they were written with).
std::optional<bd::ParamValue> storedValue(const QSettings& s, const QString& key, const bd::ParamSpec& spec) {
  const QVariant v = s.value(key);
  if (!v.isValid()) return std::nullopt;
  std::optional<bd::ParamValue> value;
  bool ok = false;
  switch (spec.type) {
    case bd::ParamType::Int:
      if (const qlonglong n = v.toLongLong(&ok); ok) value = bd::ParamValue{std::int64_t{n}};
      break;
    case bd::ParamType::Double:
      if (const double d = v.toDouble(&ok); ok) value = bd::ParamValue{d};
      break;
    case bd::ParamType::Bool:
      if (const QString b = v.toString(); b == QLatin1String("true") || b == QLatin1String("false"))
        value = bd::ParamValue{b == QLatin1String("true")};
      break;
    case bd::ParamType::Text: value = bd::ParamValue{v.toString().toStdString()}; break;
  }
  if (value && !bd::check_param_value(spec, *value).empty()) return std::nullopt;
  return value;
}

}  // namespace

void writeParams(QSettings& s, const bd::EditParams& p) {
  s.beginGroup(QStringLiteral("params"));
  for (const bd::ParamSpec& spec : bd::edit_param_table()) {
    const QString key = keyOf(spec);
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::string>)
            s.setValue(key, QString::fromStdString(v));
          else if constexpr (std::is_same_v<T, std::int64_t>)
            s.setValue(key, QVariant::fromValue<qlonglong>(v));
          else
            s.setValue(key, v);
        },
        spec.get(p));
  }
  s.endGroup();
}

bd::EditParams readParams(QSettings& s, bd::EditParams p) {
  s.beginGroup(QStringLiteral("params"));
  for (const bd::ParamSpec& spec : bd::edit_param_table()) {
    const QString key = keyOf(spec);
    if (const auto value = storedValue(s, key, spec)) spec.set(p, *value);
  }
  s.endGroup();
  return p;
}

}  // namespace bd::ui
