// 报表 (supervisors): the figures over a period as charts (Chart.js, served by the service from
// static/vendor/, copied from npm by `make vendor`), tables and CSV downloads. Every chart is
// drawn from the rows of the table below it, so what the chart shows and what the table and the
// CSV say cannot differ. Without Chart.js the page says so and still shows the tables.

import { api } from "./api.js";
import { $, el } from "./dom.js";
import { state } from "./store.js";

var ui = {
  form: $(".swa-reports-form"),
  period: $(".swa-reports-period"),
  custom: document.querySelectorAll(".swa-reports-custom"),
  start: $(".swa-reports-start"),
  end: $(".swa-reports-end"),
  by: $(".swa-reports-by"),
  channel: $(".swa-reports-channel"),
  skill: $(".swa-reports-skill"),
  noChart: $(".swa-reports-nochart"),
  error: $(".swa-reports-error"),
  body: $(".swa-reports-body"),
};

var FORBIDDEN = "仅班长（主管）可以查看报表。";
var TOP = 10;  // bars in a ranked chart (the table below lists more)
var COLORS = ["#2f6fd0", "#e0892b", "#3a9a5b", "#c8443b", "#7d5bbf", "#5a6b7d"];

// The charts of each table: the column of its labels, and the columns drawn (bar or line;
// `right` puts a series on a second axis).
var CHARTS = {
  trend: [
    { id: "volume", title: "会话数与用户消息数", series: [{ col: "会话数" }, { col: "用户消息数", line: true, right: true }] },
    {
      id: "rates", title: "独立接待率 / 转人工率 / 无答案率（%）", percent: true,
      series: [{ col: "独立接待率(%)", line: true }, { col: "转人工率(%)", line: true }, { col: "无答案率(%)", line: true }],
    },
  ],
  questions: [{ id: "questions", label: "问题", top: true, series: [{ col: "回答次数" }, { col: "答后转人工" }] }],
  feedback: [{ id: "feedback", label: "问题", top: true, series: [{ col: "有用" }, { col: "没用" }] }],
  unanswered: [{ id: "unanswered", label: "用户问题（已脱敏）", top: true, series: [{ col: "次数" }] }],
  hours: [{
    id: "hours",
    series: [{ col: "排队会话" }, { col: "排队后放弃" }, { col: "平均等待(秒)", line: true, right: true }],
  }],
  agents: [{ id: "agents", series: [{ col: "平均处理时长(秒)" }, { col: "平均满意度", line: true, right: true }] }],
  skills: [{ id: "skills", series: [{ col: "平均处理时长(秒)" }, { col: "平均满意度", line: true, right: true }] }],
};

var charts = [];

export function chartsAvailable() {
  return typeof window.Chart === "function";
}

export function openReports() {
  ui.noChart.hidden = chartsAvailable();
  loadReports();
}

export function clearReports() {
  dropCharts();
  ui.body.textContent = "";
  showError("");
}

function query() {
  var params = new URLSearchParams();
  params.set("period", ui.period.value);
  if (ui.period.value === "custom") {
    params.set("start", ui.start.value);
    params.set("end", ui.end.value);
  }
  params.set("by", ui.by.value);
  if (ui.channel.value) params.set("channel", ui.channel.value);
  if (ui.skill.value) params.set("skill", ui.skill.value);
  return params.toString();
}

export function loadReports() {
  var session = state.session;
  var seq = ++state.reportsSeq;
  var asked = query();
  return api("GET", "/console/api/reports?" + asked).then(function (data) {
    if (session !== state.session || seq !== state.reportsSeq) return;
    showError("");
    fillChoices(ui.channel, data.channels || []);
    fillChoices(ui.skill, data.skills || []);
    render(data, asked);
  }, function (error) {
    if (session !== state.session || seq !== state.reportsSeq || error.status === 401) return;
    if (error.status === 403) clearReports();
    showError(error.status === 403 ? FORBIDDEN : "报表加载失败：" + error.message);
  });
}

function showError(text) {
  ui.error.textContent = text || "";
  ui.error.hidden = !text;
}

// The channel and skill lists as the server names them, once (the choice made stays).
function fillChoices(select, choices) {
  if (select.options.length > 1) return;
  choices.forEach(function (choice) {
    var option = el("option", null, choice.title);
    option.value = choice.id;
    select.appendChild(option);
  });
}

function dropCharts() {
  charts.forEach(function (chart) { chart.destroy(); });
  charts = [];
}

function render(data, asked) {
  dropCharts();
  ui.body.textContent = "";
  var period = data.period || {};
  ui.body.appendChild(el("p", "swa-reports-range", "统计周期：" + period.first + " 至 " + period.last));
  Object.keys(CHARTS).forEach(function (name) {
    var table = (data.tables || {})[name];
    if (table) ui.body.appendChild(section(table, asked));
  });
}

function section(table, asked) {
  var box = el("section", "swa-report");
  box.dataset.report = table.name;
  var head = box.appendChild(el("header", "swa-report-head"));
  head.appendChild(el("h3", null, table.title));
  var link = head.appendChild(el("a", "swa-report-csv", "下载 CSV"));
  link.href = "/console/api/reports/" + table.name + ".csv?" + asked;
  link.setAttribute("download", "");
  if (chartsAvailable() && table.rows.length) {
    CHARTS[table.name].forEach(function (spec) { box.appendChild(chartOf(spec, table)); });
  }
  box.appendChild(tableOf(table));
  return box;
}

function chartOf(spec, table) {
  var figure = el("figure", "swa-report-chart");
  if (spec.title) figure.appendChild(el("figcaption", null, spec.title));
  var holder = figure.appendChild(el("div", "swa-report-canvas"));
  var canvas = holder.appendChild(el("canvas"));
  canvas.dataset.chart = spec.id;
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", spec.title || table.title);
  var rows = spec.top ? table.rows.slice(0, TOP) : table.rows;
  var labelAt = table.columns.indexOf(spec.label || table.columns[0]);
  var right = spec.series.some(function (s) { return s.right; });
  var config = {
    type: "bar",
    data: {
      labels: rows.map(function (row) { return String(row[labelAt]); }),
      datasets: spec.series.map(function (s, i) {
        var at = table.columns.indexOf(s.col);
        return {
          type: s.line ? "line" : "bar",
          label: s.col,
          data: rows.map(function (row) { return row[at]; }),
          backgroundColor: COLORS[i % COLORS.length],
          borderColor: COLORS[i % COLORS.length],
          yAxisID: s.right ? "y1" : "y",
        };
      }),
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      indexAxis: spec.top ? "y" : "x",
      scales: spec.top ? { x: { beginAtZero: true, ticks: { precision: 0 } } } : scales(spec, right),
      plugins: { legend: { position: "bottom" } },
    },
  };
  charts.push(new window.Chart(canvas, config));
  return figure;
}

function scales(spec, right) {
  var result = { y: { beginAtZero: true, ticks: { precision: 0 } } };
  if (spec.percent) result.y.max = 100;
  if (right) result.y1 = { beginAtZero: true, position: "right", grid: { drawOnChartArea: false } };
  return result;
}

function tableOf(table) {
  var wrap = el("div", "swa-report-table-wrap");
  var node = wrap.appendChild(el("table", "swa-live-table swa-report-table"));
  var headRow = node.appendChild(el("thead")).appendChild(el("tr"));
  table.columns.forEach(function (column) {
    headRow.appendChild(el("th", null, column)).scope = "col";
  });
  var body = node.appendChild(el("tbody"));
  table.rows.forEach(function (row) {
    var line = body.appendChild(el("tr"));
    row.forEach(function (value) {
      line.appendChild(el("td", null, value === null || value === undefined ? "—" : String(value)));
    });
  });
  if (!table.rows.length) {
    var empty = body.appendChild(el("tr")).appendChild(el("td", "swa-live-none", "暂无数据"));
    empty.colSpan = table.columns.length;
  }
  return wrap;
}

ui.period.addEventListener("change", function () {
  var custom = ui.period.value === "custom";
  ui.custom.forEach(function (label) { label.hidden = !custom; });
  if (!custom) loadReports();
});

ui.form.addEventListener("submit", function (event) {
  event.preventDefault();
  if (ui.period.value === "custom" && (!ui.start.value || !ui.end.value)) {
    showError("请选择开始日期和结束日期。");
    return;
  }
  loadReports();
});
