#include <cstdio>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/render/default_renderer.h"
#include "libs/render/escape.h"
#include "libs/render/template_renderer.h"
#include "libs/wecom/message_splitter.h"
#include "libs/wecom/utf8.h"
#include "tests/testing/testing.h"

namespace wecom_notify::render {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const absl::Time kStart = absl::FromUnixSeconds(1'700'000'000);  // 2023-11-14 22:13:20 UTC

Alert MakeAlert(const std::string& status, const std::string& pod) {
  Alert a;
  a.status = status;
  a.labels = {{"alertname", "KubePodCrashLooping"},
              {"severity", "critical"},
              {"cluster", "prod"},
              {"namespace", "pp1"},
              {"pod", pod},
              {"instance", "10.0.0.1:8080"}};
  a.annotations = {{"summary", "Pod is restarting"}, {"description", "1.07 restarts / 5 min"}};
  a.starts_at = kStart;
  if (status == "resolved") a.ends_at = kStart + absl::Minutes(10);
  a.generator_url = "http://prometheus:9090/graph?g0.expr=up";
  return a;
}

NotificationGroup MakeGroup() {
  NotificationGroup g;
  g.status = "firing";
  g.receiver = "ops";
  g.group_labels = {{"alertname", "KubePodCrashLooping"}, {"namespace", "pp1"}};
  g.alerts = {MakeAlert("firing", "web-0"), MakeAlert("firing", "web-1")};
  g.external_url = "http://alertmanager:9093";
  return g;
}

RenderOptions Options(Language language, Format format) {
  RenderOptions o;
  o.language = language;
  o.format = format;
  o.time_zone = *LoadTimeZone("Asia/Shanghai");
  return o;
}

RenderedMessage RenderDefault(const NotificationGroup& g, Language l, Format f) {
  return *DefaultRenderer(Options(l, f)).Render(g);
}

TEST(DefaultRendererTest, EnglishMarkdownShowsEverything) {
  const RenderedMessage m = RenderDefault(MakeGroup(), Language::kEn, Format::kMarkdown);
  EXPECT_THAT(m.header, HasSubstr("[FIRING:2] KubePodCrashLooping"));
  EXPECT_THAT(m.header, HasSubstr("<font color=\"warning\">"));
  EXPECT_THAT(m.header, HasSubstr("namespace=pp1"));
  ASSERT_EQ(m.alerts.size(), 2u);
  const std::string& a = m.alerts[0];
  EXPECT_THAT(a, HasSubstr("[critical]"));
  EXPECT_THAT(a, HasSubstr("**KubePodCrashLooping**"));
  EXPECT_THAT(a, HasSubstr("cluster: prod | namespace: pp1 | pod: web-0"));
  EXPECT_THAT(a, Not(HasSubstr("instance")));  // pod wins over instance
  EXPECT_THAT(a, HasSubstr("Summary: Pod is restarting"));
  EXPECT_THAT(a, HasSubstr("Description: 1.07 restarts / 5 min"));
  EXPECT_THAT(a, HasSubstr("Started: 2023-11-15 06:13:20 CST"));  // Asia/Shanghai
  EXPECT_THAT(a, Not(HasSubstr("Ended")));
  EXPECT_THAT(a, HasSubstr("[Source](http://prometheus:9090/graph?g0.expr=up)"));
  EXPECT_EQ(m.footer, "[View in Alertmanager](http://alertmanager:9093)");
}

TEST(DefaultRendererTest, ChineseTextHasNoMarkdown) {
  NotificationGroup g = MakeGroup();
  g.alerts[1] = MakeAlert("resolved", "web-1");
  const RenderedMessage m = RenderDefault(g, Language::kZhCN, Format::kText);
  EXPECT_THAT(m.header, HasSubstr("[告警中:1, 已恢复:1] KubePodCrashLooping"));
  EXPECT_THAT(m.alerts[0], HasSubstr("摘要: Pod is restarting"));
  EXPECT_THAT(m.alerts[0], HasSubstr("开始时间: 2023-11-15 06:13:20"));
  EXPECT_THAT(m.alerts[1], HasSubstr("[已恢复]"));
  EXPECT_THAT(m.alerts[1], HasSubstr("结束时间: 2023-11-15 06:23:20"));
  EXPECT_THAT(m.alerts[1], HasSubstr("查看来源: http://prometheus:9090/graph?g0.expr=up"));
  for (const std::string& s : {m.header, m.alerts[0], m.alerts[1], m.footer}) {
    EXPECT_THAT(s, Not(HasSubstr("**")));
    EXPECT_THAT(s, Not(HasSubstr("<font")));
    EXPECT_THAT(s, Not(HasSubstr("](")));
  }
}

TEST(DefaultRendererTest, AllResolvedHeader) {
  NotificationGroup g = MakeGroup();
  g.status = "resolved";
  for (Alert& a : g.alerts) a.status = "resolved";
  EXPECT_THAT(RenderDefault(g, Language::kEn, Format::kMarkdown).header,
              HasSubstr("<font color=\"info\">**[RESOLVED] KubePodCrashLooping**</font>"));
}

TEST(DefaultRendererTest, InstanceWhenNoPod) {
  NotificationGroup g = MakeGroup();
  g.alerts[0].labels.erase("pod");
  EXPECT_THAT(RenderDefault(g, Language::kEn, Format::kText).alerts[0],
              HasSubstr("instance: 10.0.0.1:8080"));
}

TEST(DefaultRendererTest, TimeZoneIsConfigurable) {
  RenderOptions o = Options(Language::kEn, Format::kText);
  o.time_zone = *LoadTimeZone("UTC");
  EXPECT_THAT(DefaultRenderer(o).Render(MakeGroup())->alerts[0],
              HasSubstr("Started: 2023-11-14 22:13:20 UTC"));
}

TEST(DefaultRendererTest, AlertCannotInjectLinksMentionsOrHeadings) {
  NotificationGroup g = MakeGroup();
  Alert& a = g.alerts[0];
  a.labels["pod"] = "x](http://evil.example) <@all> <font color=\"info\">";
  a.annotations["summary"] = "[click me](http://evil.example) **bold** `code`";
  a.annotations["description"] = "line1\n# heading\n> quote &lt;@zhangsan&gt;";
  a.generator_url = "javascript:alert(1)";
  const RenderedMessage md = RenderDefault(g, Language::kEn, Format::kMarkdown);
  const std::string& block = md.alerts[0];
  EXPECT_THAT(block, Not(HasSubstr("](http://evil")));
  EXPECT_THAT(block, Not(HasSubstr("<@")));
  EXPECT_THAT(block, Not(HasSubstr("<font color=\"info\">")));
  EXPECT_THAT(block, Not(HasSubstr("**bold**")));
  EXPECT_THAT(block, Not(HasSubstr("\n# heading")));
  EXPECT_THAT(block, Not(HasSubstr("\n> quote")));
  EXPECT_THAT(block, Not(HasSubstr("&lt;")));
  EXPECT_THAT(block, Not(HasSubstr("javascript")));
  EXPECT_THAT(block, HasSubstr("click me"));  // still readable
  const RenderedMessage text = RenderDefault(g, Language::kEn, Format::kText);
  EXPECT_THAT(text.alerts[0], Not(HasSubstr("<@")));
  EXPECT_THAT(text.alerts[0], Not(HasSubstr("<font")));
}

TEST(EscapeTest, SafeUrlEncodesLinkBreakers) {
  EXPECT_EQ(SafeUrl("http://h/a b)c"), "http://h/a%20b%29c");
  EXPECT_EQ(SafeUrl("ftp://h/"), "");
  EXPECT_EQ(SafeUrl("/relative"), "");
}

TEST(LoadTimeZoneTest, KnownAndUnknownZones) {
  EXPECT_TRUE(LoadTimeZone("Asia/Shanghai").ok());
  EXPECT_EQ(LoadTimeZone("Mars/Olympus_Mons").status().code(), absl::StatusCode::kNotFound);
}

TEST(ParseLanguageTest, Names) {
  EXPECT_EQ(*ParseLanguage("zh-CN"), Language::kZhCN);
  EXPECT_EQ(*ParseLanguage("EN"), Language::kEn);
  EXPECT_FALSE(ParseLanguage("fr").ok());
}

TEST(TemplateRendererTest, RendersHeaderAlertsAndFooterWithEscaping) {
  TemplateSources t;
  t.header = "{{{status_tag}}} {{alertname}} ({{firing_count}} firing) for {{receiver}}\n";
  t.alert =
      "{{severity}} {{labels.namespace}}/{{labels.pod}}: {{summary}} @ {{starts_at}}"
      "{{#is_resolved}} ended {{ends_at}}{{/is_resolved}}";
  t.footer = "{{#external_url}}[AM]({{{external_url}}}){{/external_url}}";
  auto renderer = TemplateRenderer::FromStrings(t, Options(Language::kEn, Format::kMarkdown));
  ASSERT_TRUE(renderer.ok()) << renderer.status();
  NotificationGroup g = MakeGroup();
  g.alerts[1].annotations["summary"] = "[x](http://evil) <@all>";
  const RenderedMessage m = *(*renderer)->Render(g);
  EXPECT_EQ(m.header, "[FIRING:2] KubePodCrashLooping (2 firing) for ops");
  ASSERT_EQ(m.alerts.size(), 2u);
  EXPECT_EQ(m.alerts[0], "critical pp1/web-0: Pod is restarting @ 2023-11-15 06:13:20 CST");
  EXPECT_THAT(m.alerts[1], Not(HasSubstr("](http://evil")));
  EXPECT_THAT(m.alerts[1], Not(HasSubstr("<@")));
  EXPECT_EQ(m.footer, "[AM](http://alertmanager:9093)");
}

TEST(TemplateRendererTest, SyntaxErrorIsReportedAtLoad) {
  TemplateSources t;
  t.header = "{{status_tag}}";
  t.alert = "{{#labels}}{{namespace}}";  // unclosed section
  auto renderer = TemplateRenderer::FromStrings(t, Options(Language::kEn, Format::kText));
  ASSERT_FALSE(renderer.ok());
  EXPECT_EQ(renderer.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(renderer.status().message()), HasSubstr("template alert"));
}

std::string WriteTemp(const std::string& name, const std::string& content) {
  static const std::string dir = wecom_notify::testing::MakeTempDir("render");
  const std::string path = absl::StrCat(dir, "/", name);
  std::ofstream(path) << content;
  return path;
}

TEST(TemplateRendererTest, LoadsFilesAndNamesTheBadOne) {
  TemplateFiles files;
  files.header_path = WriteTemp("h.mustache", "{{{status_tag}}}\n");
  files.alert_path = WriteTemp("a.mustache", "{{alertname}}\n");
  auto ok = TemplateRenderer::Load(files, Options(Language::kZhCN, Format::kText));
  ASSERT_TRUE(ok.ok()) << ok.status();
  const RenderedMessage m = *(*ok)->Render(MakeGroup());
  EXPECT_EQ(m.header, "[告警中:2]");
  EXPECT_EQ(m.alerts[0], "KubePodCrashLooping");

  files.alert_path = WriteTemp("bad.mustache", "{{/alerts}}");
  auto bad = TemplateRenderer::Load(files, Options(Language::kZhCN, Format::kText));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("bad.mustache"));

  files.alert_path = "/nonexistent/alert.mustache";
  EXPECT_EQ(TemplateRenderer::Load(files, Options(Language::kZhCN, Format::kText)).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(RenderAndSplitTest, LongChineseGroupSplitsIntoValidPartsWithEveryAlert) {
  NotificationGroup g = MakeGroup();
  g.alerts.clear();
  std::string long_description;
  for (int i = 0; i < 100; ++i) long_description += "磁盘空间不足，";
  for (int i = 0; i < 12; ++i) {
    Alert a = MakeAlert("firing", absl::StrCat("web-", i));
    a.annotations["description"] = long_description.substr(0, 3 * 7 * (10 + i));
    g.alerts.push_back(a);
  }
  g.alerts[5].annotations["description"] = long_description + long_description;  // > 2048 alone
  const RenderedMessage m = RenderDefault(g, Language::kZhCN, Format::kMarkdown);
  wecom::SplitOptions options;
  options.max_bytes = 2048;
  const auto parts = wecom::SplitMessage(m.header, m.alerts, m.footer, options);
  ASSERT_GT(parts.size(), 2u);
  std::string all;
  for (size_t i = 0; i < parts.size(); ++i) {
    EXPECT_LE(parts[i].size(), 2048u);
    EXPECT_TRUE(wecom::IsValidUtf8(parts[i]));
    EXPECT_THAT(parts[i], HasSubstr(absl::StrCat("(", i + 1, "/", parts.size(), ")")));
    all += parts[i];
  }
  for (int i = 0; i < 12; ++i) EXPECT_THAT(all, HasSubstr(absl::StrCat("Pod: web-", i, "\n")));
  EXPECT_THAT(all, HasSubstr("…(truncated)"));
}

}  // namespace
}  // namespace wecom_notify::render
