/* app.js - the inspectors' page (docs/web.md): log-in, the stations at a
 * glance, one station with its charts, the alerts, acknowledgements.
 * Plain JavaScript; the charts are drawn by dygraphs (Debian's
 * libjs-dygraphs, compiled into wwtp-central and served by it as
 * /dygraph.min.js). Everything it shows comes from the JSON
 * API of the same server (docs/api.md), polled every few seconds. Text
 * goes through one dictionary (T), Vietnamese by default. DOM nodes are
 * built with h() (never innerHTML), so station data cannot inject markup. */
'use strict';

/* ---- the dictionary ---- */
const T = {
  vi: {
    app_title: 'Giám sát nước thải cụm công nghiệp Hà Nội',
    nav_overview: 'Tổng quan', nav_alerts: 'Cảnh báo', nav_report: 'Báo cáo tháng',
    logout: 'Đăng xuất', lang_other: 'English',
    login_title: 'Đăng nhập', user: 'Tên đăng nhập', password: 'Mật khẩu', login: 'Đăng nhập',
    login_bad: 'Sai tên đăng nhập hoặc mật khẩu.',
    login_limited: 'Đăng nhập sai quá nhiều lần. Thử lại sau {s} giây.',
    login_hint: 'Tài khoản do quản trị viên cấp (wwtp-central passwd).',
    role_inspector: 'thanh tra (chỉ xem)', role_operator: 'vận hành (xác nhận cảnh báo)',
    summary: '{flagged}/{n} nhà máy bị gắn cờ · {online} trực tuyến · {alerts} cảnh báo đang mở',
    flagged_first: 'Nhà máy bị gắn cờ', healthy: 'Các nhà máy khác',
    st_online: 'Trực tuyến', st_silent: 'Mất tín hiệu', st_offline: 'Ngừng gửi', st_unknown: 'Chưa có dữ liệu',
    flag_yes: 'Bị gắn cờ', flag_no: 'Đạt', review: 'Thuộc diện rà soát', backfilling: 'đang nhận dữ liệu cũ',
    last_data: 'Dữ liệu mới nhất', never: 'chưa có', open_alerts: 'Cảnh báo mở',
    reasons: 'Lý do', no_reasons: 'Không có vi phạm trong cửa sổ đánh giá.',
    flagged_since: 'Gắn cờ từ', details: 'Chi tiết',
    back: '← Tất cả nhà máy', district: 'Quận/huyện', plan: 'Kế hoạch',
    plan_review: 'rà soát', plan_qd6613: 'QĐ 6613', plan_task13: 'Nhiệm vụ 13',
    params_title: 'Thông số so với giới hạn', last_day: '24 giờ qua', last_30: '30 ngày qua (trung bình giờ)',
    limit: 'Giới hạn', no_limit: 'không có giới hạn', no_data: 'Không có dữ liệu',
    mean: 'trung bình', within: 'đạt', hours_judged: 'giờ được đánh giá',
    station_alerts: 'Cảnh báo của trạm', availability_title: 'Tính sẵn có của dữ liệu',
    lab_title: 'So sánh với kết quả phòng thí nghiệm', lab_none: 'Chưa có kết quả phòng thí nghiệm nào được nhập.',
    lab_missing: 'Máy chủ chưa đọc được các kết quả phòng thí nghiệm (GET /api/stations/{id}/samples).',
    lab_taken: 'Thời điểm lấy mẫu', lab_param: 'Thông số', lab_value: 'Kết quả phòng thí nghiệm', lab_analyzer: 'Thiết bị đo (trung bình)',
    lab_diff: 'Chênh lệch', lab_verdict: 'Đánh giá', lab_lab: 'Phòng thí nghiệm', lab_ref: 'Số phiếu kết quả', lab_by: 'Người nhập',
    v_agree: 'Phù hợp', v_disagree: 'Không phù hợp', v_no_data: 'Không có số liệu thiết bị đo',
    lab_hint: 'Thiết bị đo: trung bình các giá trị hợp lệ trong {m} phút trước và sau thời điểm lấy mẫu; phù hợp khi chênh lệch không quá {p} % kết quả phòng thí nghiệm (sai số do đơn vị vận hành hệ thống đặt, không phải mức của quy chuẩn).',
    lab_add: 'Nhập kết quả phòng thí nghiệm', lab_send: 'Lưu kết quả', lab_taken_hint: 'giờ Hà Nội',
    lab_denied: 'Chỉ người vận hành được nhập kết quả phòng thí nghiệm.', lab_short: 'thiết bị đo {a} · phòng thí nghiệm {l}',
    conf_title: 'Thay đổi cấu hình đo (12 tháng gần nhất)', conf_none: 'Không có thay đổi cấu hình đo.', conf_missing: 'Máy chủ chưa đọc được lịch sử cấu hình (GET /api/stations/{id}/config).',
    compl_title: 'Số lần đọc theo ngày (7 ngày gần nhất)', compl_day: 'Ngày', compl_expected: 'Dự kiến', compl_received: 'Nhận được',
    compl_lost: 'Mất', compl_late: 'Đến muộn', compl_gaps: 'Khoảng mất số liệu dài nhất (thiết bị, giờ Hà Nội, số lần đọc)', compl_total: 'Cộng',
    compl_line: 'mất {l}/{e} lần đọc ({p} %)', compl_hint: 'Một lần đọc chưa về sau {m} phút kể từ giờ đọc được tính là mất; về sau đó thì tính là đến muộn.',
    compl_missing: 'Máy chủ chưa tính được số lần đọc (GET /api/stations/{id}/completeness).', compl_more: 'và {n} khoảng ngắn hơn',
    compl_since: 'Số liệu của trạm bắt đầu từ {t}: trước đó không tính là mất.', compl_never: 'Trạm chưa gửi số liệu nào.',
    avail_worst: 'Thấp nhất (giờ có trung bình hợp lệ)', faults_worst: 'Thiết bị lỗi (cao nhất)',
    window: 'Cửa sổ đánh giá', hours: 'giờ', hours_with_data: 'Giờ có dữ liệu trong 30 ngày',
    alerts_title: 'Danh sách cảnh báo', f_station: 'Trạm', f_state: 'Trạng thái', f_param: 'Thông số',
    f_from: 'Từ ngày', f_to: 'Đến ngày', f_all: 'Tất cả', apply: 'Lọc',
    s_open: 'Đang mở', s_unacked: 'Mở, chưa xác nhận', s_acked: 'Đã xác nhận', s_closed: 'Đã đóng', s_all: 'Tất cả',
    c_station: 'Trạm', c_param: 'Thông số', c_kind: 'Loại', c_start: 'Bắt đầu', c_state: 'Trạng thái',
    c_value: 'Giá trị / giới hạn', c_ack: 'Xác nhận',
    k_exceedance: 'Vượt giới hạn', k_range: 'Ngoài khoảng', k_availability: 'Thiếu dữ liệu',
    k_fault: 'Thiết bị lỗi', k_calibration: 'Hiệu chuẩn', k_offline: 'Mất kết nối', k_suspect_data: 'Số liệu bất thường', k_forged: 'Dữ liệu giả mạo hoặc bị sửa', k_config_change: 'Thay đổi cấu hình đo', k_lab_mismatch: 'Thiết bị đo lệch kết quả phòng thí nghiệm',
    state_open: 'đang mở', state_closed: 'đã đóng', closed_at: 'đóng lúc',
    ack: 'Xác nhận', ack_by: '{user} lúc {time}', ack_comment: 'Ghi chú (bắt buộc)',
    ack_send: 'Gửi xác nhận', cancel: 'Huỷ', ack_done: 'Đã xác nhận cảnh báo.',
    ack_denied: 'Chỉ tài khoản vận hành được xác nhận cảnh báo.', none: 'Không có cảnh báo nào.',
    shown: 'Hiện {n} trên {total}', error: 'Lỗi: {e}', offline_api: 'Không kết nối được máy chủ, đang thử lại…',
    updated: 'Cập nhật lúc {t} (giờ Hà Nội)',
    report_title: 'Báo cáo tháng', report_month: 'Tháng', report_station: 'Trạm', report_all: 'Toàn bộ các trạm',
    report_open: 'Mở báo cáo', report_csv: 'Tải CSV',
    report_note: 'Báo cáo tuân thủ theo tháng, tạo từ dữ liệu đã lưu (mở trong thẻ mới).',
    archive_title: 'Kho báo cáo định kỳ', archive_made: 'lập lúc {t}', archive_sums: 'Mã SHA-256',
    archive_note: 'Văn bản lập theo lịch (tháng, quý, năm), lưu chỉ đọc kèm mã SHA-256 và đã gửi thư điện tử; văn bản đã lưu không bị thay thế.',
    archive_none: 'Chưa có văn bản nào trong kho.', archive_off: 'Chưa bật lập báo cáo theo lịch (nhóm report trong central.cfg).',
    archive_month: 'Tháng {m}/{y}', archive_quarter: 'Quý {q}/{y}', archive_year: 'Năm {y}', archive_fleet: 'Tổng hợp các trạm',
    r_compliance: '{p}: vượt quy chuẩn {n}/{h} giờ, TB {mean}, gấp {x} lần giới hạn {lim} (gắn cờ khi quá {o}% số giờ vượt)',
    r_compliance_range: '{p}: vượt quy chuẩn {n}/{h} giờ, TB {mean}, giới hạn {lim} (gắn cờ khi quá {o}% số giờ vượt)',
    r_availability: '{p}: thiếu dữ liệu, chỉ {v}% trong {h} giờ có trung bình giờ hợp lệ (gắn cờ khi dưới {t}%)',
    regulation: 'Quy chuẩn áp dụng', regulation_none: 'Trạm không có nhóm giới hạn (limits): không đánh giá theo quy chuẩn.',
    from_start: 'đã bị gắn cờ ngay từ giờ dữ liệu đầu tiên máy chủ có ({t}); có thể bắt đầu sớm hơn', c_of: 'C = {c}',
    cmax_rule: '{reg} cột {col}, Kq = {kq}, Kf = {kf}: Cmax = C × Kq × Kf',
    now_over: 'Đang vượt quy chuẩn', over_hours: 'vượt quy chuẩn {n}/{h} giờ', within_hours: 'đạt {h}/{h} giờ', other_open: 'Cảnh báo khác đang mở', history: 'Lịch sử cảnh báo',
    show_all: 'Xem tất cả', show_less: 'Thu gọn', none_over: 'Không có thông số nào đang vượt quy chuẩn.',
    times_over: 'gấp {x} lần', since: 'từ', value_now: 'Giá trị', limit_word: 'giới hạn',
    win_1h: 'TB 1 giờ', win_24h: 'TB 24 giờ', win_s: 'TB {n} giây', win_m: 'TB {n} phút', win_h: 'TB {n} giờ', win_d: 'TB {n} ngày',
    episode: '{n} lần trong {d}', c_priority: 'Mức', c_window: 'Cửa sổ', c_since: 'Từ lúc',
    f_priority: 'Mức ưu tiên', f_kind: 'Loại', p_high: 'Cao', p_medium: 'Trung bình', p_low: 'Thấp',
    csv_alerts: 'Tải CSV các cảnh báo đã lọc', csv_series: 'CSV', csv_series_title: 'Tải CSV chuỗi số liệu',
    flag_history: 'Lịch sử gắn cờ', flag_raised: 'Gắn cờ', flag_cleared: 'Bỏ cờ', flag_open: 'đang gắn cờ',
    flag_history_none: 'Chưa có lịch sử gắn cờ.', flag_history_missing: 'Máy chủ chưa có lịch sử gắn cờ (GET /api/stations/{id}/flags).',
    hover_hint: 'Chạm hoặc rê chuột để xem giá trị; kéo để phóng to, chạm hai lần để thu nhỏ.',
    axis_time: 'giờ Hà Nội', share: 'tỉ lệ', dur_h: '{h} giờ {m} phút', dur_m: '{m} phút', dur_d: '{d} ngày {h} giờ',
    r_faults: '{p}: thiết bị báo lỗi {v}% thời gian (gắn cờ khi trên {t}%)',
    r_cod_removal: 'Hiệu suất xử lý COD {v}% (đầu vào {in}, đầu ra {out} mg/L trong {h} giờ; gắn cờ khi dưới {t}%)',
    r_nh4_removal: 'Hiệu suất xử lý amoni {v}% (đầu vào {in}, đầu ra {out} mg/L trong {h} giờ; gắn cờ khi dưới {t}%)',
    r_hydraulic_load: 'Quá tải thủy lực: {v}% công suất thiết kế ({flow} / {design} m³/ngày trong {h} giờ; gắn cờ khi trên {t}%)',
  },
  en: {
    app_title: 'Hanoi industrial-cluster wastewater monitoring',
    nav_overview: 'Overview', nav_alerts: 'Alerts', nav_report: 'Monthly report',
    logout: 'Log out', lang_other: 'Tiếng Việt',
    login_title: 'Log in', user: 'User name', password: 'Password', login: 'Log in',
    login_bad: 'Wrong user name or password.',
    login_limited: 'Too many failed log-ins. Try again in {s} s.',
    login_hint: 'Accounts are made by the administrator (wwtp-central passwd).',
    role_inspector: 'inspector (read only)', role_operator: 'operator (acknowledges alerts)',
    summary: '{flagged}/{n} plants flagged · {online} online · {alerts} open alerts',
    flagged_first: 'Flagged plants', healthy: 'Other plants',
    st_online: 'Online', st_silent: 'Silent', st_offline: 'Offline', st_unknown: 'No data yet',
    flag_yes: 'Flagged', flag_no: 'Compliant', review: 'Under review', backfilling: 'receiving past data',
    last_data: 'Last data', never: 'never', open_alerts: 'Open alerts',
    reasons: 'Reasons', no_reasons: 'No violation in the evaluation window.',
    flagged_since: 'Flagged since', details: 'Details',
    back: '← All plants', district: 'District', plan: 'Plan',
    plan_review: 'review', plan_qd6613: 'QĐ 6613', plan_task13: 'Task 13',
    params_title: 'Parameters against their limits', last_day: 'Last 24 hours', last_30: 'Last 30 days (hourly means)',
    limit: 'Limit', no_limit: 'no limit', no_data: 'No data',
    mean: 'mean', within: 'within', hours_judged: 'hours judged',
    station_alerts: 'Alerts of this station', availability_title: 'Data availability',
    lab_title: 'Laboratory comparisons', lab_none: 'No laboratory result recorded.',
    lab_missing: 'The server cannot read the laboratory results (GET /api/stations/{id}/samples).',
    lab_taken: 'Taken', lab_param: 'Parameter', lab_value: 'Laboratory result', lab_analyzer: 'Analyzer (mean)',
    lab_diff: 'Difference', lab_verdict: 'Verdict', lab_lab: 'Laboratory', lab_ref: 'Reference', lab_by: 'Recorded by',
    v_agree: 'Agrees', v_disagree: 'Disagrees', v_no_data: 'No analyzer data',
    lab_hint: 'Analyzer: the mean of its valid readings {m} minutes either side of the time taken; it agrees when the difference is within {p} % of the laboratory result (a tolerance the system operator set, not a regulation figure).',
    lab_add: 'Record a laboratory result', lab_send: 'Save', lab_taken_hint: 'Hanoi time',
    lab_denied: 'Only operators record laboratory results.', lab_short: 'analyzer {a} · laboratory {l}',
    conf_title: 'Measuring-configuration changes (last 12 months)', conf_none: 'No measuring-configuration change.', conf_missing: 'The server cannot read the configuration history (GET /api/stations/{id}/config).',
    compl_title: 'Polls per day (last 7 days)', compl_day: 'Day', compl_expected: 'Expected', compl_received: 'Received',
    compl_lost: 'Lost', compl_late: 'Late', compl_gaps: 'Longest gaps (instrument, Hanoi time, polls)', compl_total: 'Total',
    compl_line: '{l} of {e} polls lost ({p} %)', compl_hint: 'A poll not received {m} minutes after its time counts as lost; received later, as late.',
    compl_missing: 'The server cannot count the polls yet (GET /api/stations/{id}/completeness).', compl_more: 'and {n} shorter',
    compl_since: 'The station\'s record starts at {t}: nothing before it counts as lost.', compl_never: 'The station has sent no data yet.',
    avail_worst: 'Lowest (hours with a valid mean)', faults_worst: 'Instrument in fault (highest)',
    window: 'Evaluation window', hours: 'hours', hours_with_data: 'Hours with data in 30 days',
    alerts_title: 'Alerts', f_station: 'Station', f_state: 'State', f_param: 'Parameter',
    f_from: 'From', f_to: 'To', f_all: 'All', apply: 'Filter',
    s_open: 'Open', s_unacked: 'Open, not acknowledged', s_acked: 'Acknowledged', s_closed: 'Closed', s_all: 'All',
    c_station: 'Station', c_param: 'Parameter', c_kind: 'Kind', c_start: 'Start', c_state: 'State',
    c_value: 'Value / limit', c_ack: 'Acknowledgement',
    k_exceedance: 'Exceedance', k_range: 'Out of range', k_availability: 'Missing data',
    k_fault: 'Instrument fault', k_calibration: 'Calibration', k_offline: 'Offline', k_suspect_data: 'Suspect data', k_forged: 'Forged or altered data', k_config_change: 'Measuring configuration changed', k_lab_mismatch: 'Analyzer disagrees with the laboratory',
    state_open: 'open', state_closed: 'closed', closed_at: 'closed at',
    ack: 'Acknowledge', ack_by: '{user} at {time}', ack_comment: 'Comment (required)',
    ack_send: 'Send', cancel: 'Cancel', ack_done: 'Alert acknowledged.',
    ack_denied: 'Only operator accounts acknowledge alerts.', none: 'No alerts.',
    shown: '{n} of {total} shown', error: 'Error: {e}', offline_api: 'Cannot reach the server, retrying…',
    updated: 'Updated {t} (Hanoi time)',
    report_title: 'Monthly report', report_month: 'Month', report_station: 'Station', report_all: 'All stations',
    report_open: 'Open the report', report_csv: 'Download CSV',
    report_note: 'The monthly compliance summary, made from the stored data (opens in a new tab).',
    archive_title: 'Archive of the periodic reports', archive_made: 'made {t}', archive_sums: 'SHA-256 list',
    archive_note: 'Documents made on schedule (month, quarter, year), kept read-only with their SHA-256 and e-mailed; an archived document is never replaced.',
    archive_none: 'The archive holds no document yet.', archive_off: 'Reports on schedule are not configured (the report group of central.cfg).',
    archive_month: 'Month {m}/{y}', archive_quarter: 'Quarter {q}/{y}', archive_year: 'Year {y}', archive_fleet: 'All plants',
    r_compliance: '{p}: over the limit {n}/{h} hours, mean {mean}, {x} times the limit {lim} (flagged above {o}% of hours over)',
    r_compliance_range: '{p}: over the limit {n}/{h} hours, mean {mean}, limit {lim} (flagged above {o}% of hours over)',
    r_availability: '{p}: missing data, valid hourly averages for only {v}% of {h} hours (flagged below {t}%)',
    regulation: 'Regulation', regulation_none: 'This station has no limits group: it is not judged against a regulation.',
    from_start: 'flagged from the first hour of data central holds ({t}); it may have begun earlier', c_of: 'C = {c}',
    cmax_rule: '{reg} column {col}, Kq = {kq}, Kf = {kf}: Cmax = C × Kq × Kf',
    now_over: 'Over the limit now', over_hours: 'over the limit {n}/{h} hours', within_hours: 'within the limit {h}/{h} hours', other_open: 'Other open alerts', history: 'Alert history',
    show_all: 'Show all', show_less: 'Show fewer', none_over: 'No parameter is over its limit now.',
    times_over: '{x} times the limit', since: 'since', value_now: 'Value', limit_word: 'limit',
    win_1h: '1 h mean', win_24h: '24 h mean', win_s: '{n} s mean', win_m: '{n} min mean', win_h: '{n} h mean', win_d: '{n}-day mean',
    episode: '{n} times in {d}', c_priority: 'Priority', c_window: 'Window', c_since: 'Since',
    f_priority: 'Priority', f_kind: 'Kind', p_high: 'High', p_medium: 'Medium', p_low: 'Low',
    csv_alerts: 'Download the filtered alerts (CSV)', csv_series: 'CSV', csv_series_title: 'Download the series (CSV)',
    flag_history: 'Flag history', flag_raised: 'Flagged', flag_cleared: 'Cleared', flag_open: 'still flagged',
    flag_history_none: 'No flag history yet.', flag_history_missing: 'The server has no flag history yet (GET /api/stations/{id}/flags).',
    hover_hint: 'Touch or hover to read values; drag to zoom, double-tap to zoom out.',
    axis_time: 'Hanoi time', share: 'share', dur_h: '{h} h {m} min', dur_m: '{m} min', dur_d: '{d} d {h} h',
    r_faults: '{p}: instrument in fault {v}% of the time (flagged above {t}%)',
    r_cod_removal: 'COD removal {v}% (inlet {in}, outlet {out} mg/L over {h} hours; flagged below {t}%)',
    r_nh4_removal: 'NH4 removal {v}% (inlet {in}, outlet {out} mg/L over {h} hours; flagged below {t}%)',
    r_hydraulic_load: 'Hydraulic overload: {v}% of the design flow ({flow} of {design} m³/day over {h} hours; flagged above {t}%)',
  },
};
// Parameter names and units: the one glossary (model/glossary.c), served by
// GET /api/glossary once logged in; the key until it has come.
let GLOSSARY = {};

let lang = 'vi';
function t(key, vars) {
  let s = (T[lang] && T[lang][key]) || T.vi[key] || key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return s;
}
function pname(p) { return (GLOSSARY[p] && GLOSSARY[p][lang]) || p; }

/* ---- DOM helpers ---- */
function h(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const k of kids.flat()) {
    if (k === null || k === undefined || k === false) continue;
    e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  }
  return e;
}
const $ = (sel) => document.querySelector(sel);

/* ---- formatting ---- */
/* Hanoi time (UTC+7, no daylight saving) as an inspector writes it:
 * dd/mm/yyyy HH:MM, the same in both languages. */
const HANOI_MS = 7 * 3600000;
const pad2 = (n) => String(n).padStart(2, '0');
function fmtMs(ms, withDate = true) {
  const d = new Date(ms + HANOI_MS);
  const hm = `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
  return withDate ? `${pad2(d.getUTCDate())}/${pad2(d.getUTCMonth() + 1)}/${d.getUTCFullYear()} ${hm}` : hm;
}
function fmtTime(iso, withDate = true) {
  if (!iso) return t('never');
  const ms = Date.parse(iso);
  return isNaN(ms) ? iso : fmtMs(ms, withDate);
}
function fmtNum(v, digits = 3) {
  if (v === null || v === undefined || !isFinite(v)) return '–';
  return Number(v).toLocaleString(lang === 'vi' ? 'vi-VN' : 'en-GB', {maximumSignificantDigits: digits});
}
const pct = (v) => (v === null || v === undefined ? '–' : Math.round(v * 100));
function ago(iso) {
  if (!iso) return '';
  const m = Math.round((Date.now() - new Date(iso)) / 60000);
  if (m < 1) return lang === 'vi' ? 'vừa xong' : 'just now';
  if (m < 120) return lang === 'vi' ? `${m} phút trước` : `${m} min ago`;
  const hh = Math.round(m / 60);
  return lang === 'vi' ? `${hh} giờ trước` : `${hh} h ago`;
}

/* ---- the API ---- */
const state = {me: null, units: {}, names: null, timer: null, chartsAt: 0, view: null};
class HttpError extends Error {
  constructor(status, msg, retry) { super(msg); this.status = status; this.retry = retry; }
}
async function api(method, path, body) {
  const headers = {'X-Requested-With': 'wwtp'};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && state.me && state.me.csrf) headers['X-CSRF-Token'] = state.me.csrf;
  const r = await fetch(path, {method, headers, credentials: 'same-origin', cache: 'no-store',
                               body: body === undefined ? undefined : JSON.stringify(body)});
  let j = null;
  try { j = await r.json(); } catch (e) { j = null; }
  if (!r.ok) {
    if (r.status === 401 && path !== '/api/session') showLogin();
    throw new HttpError(r.status, (j && j.error) || r.statusText, Number(r.headers.get('Retry-After') || 0));
  }
  return j;
}

/* ---- log-in ---- */
function showLogin(msg) {
  stopPolling();
  state.me = null;
  $('#nav').hidden = true;
  $('#logout').hidden = true;
  $('#who-name').textContent = '';
  const err = h('p', {class: 'error', id: 'login-error', role: 'alert'}, msg || '');
  const form = h('form', {class: 'login', id: 'login-form', autocomplete: 'on'},
    h('h1', {}, t('login_title')),
    h('label', {for: 'login-user'}, t('user')),
    h('input', {id: 'login-user', name: 'username', autocomplete: 'username', required: true, autocapitalize: 'none'}),
    h('label', {for: 'login-password'}, t('password')),
    h('input', {id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true}),
    h('button', {type: 'submit', id: 'login-submit', class: 'primary'}, t('login')),
    err, h('p', {class: 'hint'}, t('login_hint')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    err.textContent = '';
    try {
      state.me = await api('POST', '/api/session', {user: $('#login-user').value.trim(), password: $('#login-password').value});
      loggedIn();
    } catch (e) {
      err.textContent = e.status === 429 ? t('login_limited', {s: e.retry || '?'})
                      : e.status === 401 ? t('login_bad') : t('error', {e: e.message});
    }
  });
  $('#view').replaceChildren(form);
  $('#login-user').focus();
}
async function loggedIn() {
  $('#nav').hidden = false;
  $('#logout').hidden = false;
  $('#who-name').textContent = `${state.me.user} · ${t('role_' + state.me.role)}`;
  try { GLOSSARY = await api('GET', '/api/glossary'); } catch (e) { /* keys until then */ }
  route();
}
async function logout() {
  try { await api('DELETE', '/api/session'); } catch (e) { /* ended anyway */ }
  showLogin();
}

/* ---- routing and polling ---- */
function stopPolling() { if (state.timer) clearInterval(state.timer); state.timer = null; }
function route() {
  if (!state.me) return;
  stopPolling();
  const hash = location.hash || '#/';
  const [path, query] = hash.slice(1).split('?');
  const params = new URLSearchParams(query || '');
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.getAttribute('href') === '#' + path);
  let refresh;
  if (path.startsWith('/station/')) refresh = stationView(decodeURIComponent(path.slice(9)));
  else if (path === '/alerts') refresh = alertsView(params);
  else if (path === '/report') refresh = reportView();
  else refresh = overviewView();
  state.chartsAt = 0;
  const tick = async () => {
    try {
      await refresh();
      $('#updated').textContent = t('updated', {t: fmtTime(new Date().toISOString())});
      $('#updated').classList.remove('error');
    } catch (e) {
      if (e.status === 401) return;
      $('#updated').textContent = e.status ? t('error', {e: e.message}) : t('offline_api');
      $('#updated').classList.add('error');
    }
  };
  tick();
  state.timer = setInterval(tick, 5000);
}

/* The units and limits of a station's params (they do not change). */
async function paramsOf(id) {
  if (!state.units[id]) state.units[id] = await api('GET', `/api/stations/${encodeURIComponent(id)}/params`);
  return state.units[id];
}
function limitText(p) {
  if (!p) return '';
  const u = p.unit ? ' ' + p.unit : '';
  if (p.limit_min !== undefined && p.limit_max !== undefined) return `${fmtNum(p.limit_min)}–${fmtNum(p.limit_max)}${u}`;
  if (p.limit_max !== undefined) return `≤ ${fmtNum(p.limit_max)}${u}`;
  if (p.limit_min !== undefined) return `≥ ${fmtNum(p.limit_min)}${u}`;
  return t('no_limit');
}

/* A reason of a flag, in the page's language, from its numbers. */
function reasonText(r, st, params) {
  // In Vietnamese, the API's own wording, as an inspector writes it (central/monitor/words.c).
  if (lang === 'vi' && r.text_vi) return r.text_vi;
  const p = (params || []).find((x) => x.param === r.param);
  const comp = st && st.checks && st.checks.compliance && st.checks.compliance[r.param];
  const unit = p && p.unit ? ' ' + p.unit : '';
  const vars = {p: pname(r.param), v: pct(r.value), t: pct(r.threshold), h: r.hours,
                lim: p ? limitText(p) : (r.limit_max !== undefined ? fmtNum(r.limit_max) : ''),
                mean: comp ? fmtNum(comp.mean) + unit : '–', in: fmtNum(r.inlet_mean), out: fmtNum(r.outlet_mean),
                flow: fmtNum(r.flow_m3d, 4), design: fmtNum(r.design_m3d, 4),
                /* hours over = the judged hours not within; flagged above 100 % - threshold over */
                n: typeof r.value === 'number' ? r.hours - Math.round(r.value * r.hours) : '–',
                o: typeof r.threshold === 'number' ? 100 - pct(r.threshold) : '–', x: '–'};
  let key = 'r_' + r.rule;
  if (r.rule === 'compliance') {
    if (comp && p && p.limit_max !== undefined && p.limit_min === undefined && p.limit_max > 0) vars.x = fmtNum(comp.mean / p.limit_max, 3);
    else key = 'r_compliance_range';
  }
  return T.vi[key] ? t(key, vars) : r.text;
}

function statusBadge(st) {
  return h('span', {class: `badge st-${st.status}`}, t('st_' + st.status));
}
function flagBadge(st) {
  return st.flagged ? h('span', {class: 'badge flag-yes'}, t('flag_yes')) : h('span', {class: 'badge flag-no'}, t('flag_no'));
}
function reviewBadge(st) {
  return st.plan_review ? h('span', {class: 'badge badge-review', title: t('plan') + ': ' + t('plan_review')}, t('review')) : null;
}

/* ---- the overview ---- */
function overviewView() {
  const root = h('section', {id: 'overview'});
  $('#view').replaceChildren(root);
  return async () => {
    const list = await api('GET', '/api/stations');
    const flagged = list.filter((x) => x.flagged);
    const params = {};
    await Promise.all(flagged.map(async (x) => { params[x.id] = await paramsOf(x.id).catch(() => []); }));
    const order = (a, b) => (b.plan_review - a.plan_review) || a.id.localeCompare(b.id);
    const card = (st) => h('article', {class: `card${st.flagged ? ' flagged' : ''}`, 'data-station': st.id},
      h('div', {class: 'card-head'},
        h('a', {href: `#/station/${encodeURIComponent(st.id)}`, class: 'station-name'}, st.name),
        h('span', {class: 'station-id'}, st.district || '')),
      h('div', {class: 'badges'}, flagBadge(st), reviewBadge(st), statusBadge(st),
        st.backfilling ? h('span', {class: 'badge'}, t('backfilling')) : null),
      h('dl', {class: 'facts'},
        h('dt', {}, t('last_data')), h('dd', {}, st.last_seen ? `${fmtTime(st.last_seen)} (${ago(st.last_seen)})` : t('never')),
        h('dt', {}, t('open_alerts')), h('dd', {class: st.open_alerts ? 'warn' : ''}, String(st.open_alerts))),
      st.flagged ? h('ul', {class: 'reasons'}, st.reasons.map((r) => h('li', {'data-rule': r.rule}, reasonText(r, st, params[st.id])))) : null);
    const online = list.filter((x) => x.status === 'online').length;
    const alerts = list.reduce((n, x) => n + x.open_alerts, 0);
    root.replaceChildren(
      h('p', {class: 'summary', id: 'summary'}, t('summary', {flagged: flagged.length, n: list.length, online, alerts})),
      flagged.length ? h('h2', {}, t('flagged_first')) : null,
      h('div', {class: 'grid', id: 'flagged-list'}, flagged.sort(order).map(card)),
      h('h2', {}, t('healthy')),
      h('div', {class: 'grid', id: 'other-list'}, list.filter((x) => !x.flagged).sort(order).map(card)));
  };
}

/* ---- alerts in an inspector's words ---- */
const PRIORITY_RANK = {high: 0, medium: 1, low: 2};
/* Station names, for every list that would otherwise show an id. */
async function stationNames() {
  if (!state.names) {
    const list = await api('GET', '/api/stations');
    state.names = Object.fromEntries(list.map((x) => [x.id, x.name]));
  }
  return state.names;
}
const sname = (id) => (state.names && state.names[id]) || id;
function windowText(sec) {
  if (sec === 3600) return t('win_1h');
  if (sec === 86400) return t('win_24h');
  if (sec % 86400 === 0) return t('win_d', {n: sec / 86400});
  if (sec % 3600 === 0) return t('win_h', {n: sec / 3600});
  if (sec % 60 === 0) return t('win_m', {n: sec / 60});
  return t('win_s', {n: sec});
}
function windowsText(a) {
  const w = Array.isArray(a.windows_s) && a.windows_s.length ? a.windows_s : (a.window_s ? [a.window_s] : []);
  return w.length ? w.map(windowText).join(', ') : '–';
}
function durText(sec) {
  const m = Math.round(sec / 60);
  if (m < 60) return t('dur_m', {m});
  if (m < 48 * 60) return t('dur_h', {h: Math.floor(m / 60), m: m % 60});
  return t('dur_d', {d: Math.floor(m / 1440), h: Math.floor((m % 1440) / 60)});
}
/* A missing-data alert's value and limit are shares of hours, shown as %. */
const isShare = (a) => a.kind === 'availability' || (a.kind === 'fault' && a.value <= 1 && (a.limit === undefined || a.limit <= 1));
function ratioOf(a) {
  if (typeof a.ratio === 'number' && isFinite(a.ratio)) return a.ratio;
  return typeof a.value === 'number' && typeof a.limit === 'number' && a.limit > 0 ? a.value / a.limit : null;
}
function valueText(a) {
  /* a fault's or an outage's value is some reading of the device, not what is wrong */
  if (a.kind === 'lab_mismatch' && a.value !== undefined && a.limit !== undefined) {
    const u = a.unit ? ' ' + a.unit : '';
    return t('lab_short', {a: `${fmtNum(a.value)}${u}`, l: `${fmtNum(a.limit)}${u}`});
  }
  if (a.value === undefined || !['exceedance', 'range', 'availability'].includes(a.kind)) return '–';
  /* the API gives a share's percentages (value_unit '%'); else a share of 0…1 */
  if (a.value_unit === '%') return `${fmtNum(a.value_pct)}% / ${fmtNum(a.limit_pct)}%`;
  if (isShare(a)) return a.limit === undefined ? `${pct(a.value)}%` : `${pct(a.value)}% / ${pct(a.limit)}%`;
  const u = a.unit ? ' ' + a.unit : '';
  if (a.limit === undefined) return `${fmtNum(a.value)}${u}`;
  const r = ratioOf(a);
  return `${fmtNum(a.value)}${u} / ${fmtNum(a.limit)}${u}` +
    (a.kind === 'exceedance' && r !== null && r > 1 ? ` · ${t('times_over', {x: fmtNum(r)})}` : '');
}
function prioBadge(a) {
  return a.priority ? h('span', {class: `badge prio-${a.priority}`}, t('p_' + a.priority)) : '–';
}
const sinceOf = (a) => a.since || a.start;

/* ---- charts: dygraphs (Debian's libjs-dygraphs, served by central) ----
 * Times are drawn as Hanoi time: the x values are shifted by +7 h and the
 * library is told to label in UTC, so its round ticks fall on round Hanoi
 * hours and days whatever the viewer's own time zone. */
const DAILY = 20; /* dygraphs' Granularity.DAILY: ticks a day or more apart */
function seriesRows(points, everyMs) {
  const rows = [];
  let prev = null;
  for (const q of points) {
    const v = q.mean;
    if (typeof v !== 'number' || !isFinite(v)) continue;
    const ms = Date.parse(q.ts);
    /* a gap of data is a gap in the line, not a straight line across it */
    if (prev !== null && ms - prev > 2 * everyMs) rows.push([new Date(prev + everyMs + HANOI_MS), null]);
    rows.push([new Date(ms + HANOI_MS), v]);
    prev = ms;
  }
  return rows;
}
function overLimit(p, v) {
  return (p.limit_max !== undefined && v > p.limit_max) || (p.limit_min !== undefined && v < p.limit_min);
}
/* One chart: its box now, the graph drawn by draw() once the box is in the
 * page (the library measures its container). */
function chartBox(stationId, title, points, p, everyMs, slug, query) {
  const unit = p.unit || '';
  const rows = seriesRows(points, everyMs);
  const readout = h('div', {class: 'readout', 'aria-live': 'polite'}, '\u00a0');
  const div = h('div', {class: 'dg', 'data-points': rows.filter((r) => r[1] !== null).length,
    'data-over': rows.filter((r) => r[1] !== null && overLimit(p, r[1])).length});
  /* the same series from the server, as a file (GET /api/stations/{id}/series.csv) */
  const csv = h('a', {class: 'csv-link', href: `/api/stations/${encodeURIComponent(stationId)}/series.csv?${query}`,
    download: `${stationId}-${p.param}-${slug}.csv`, title: t('csv_series_title')}, t('csv_series'));
  const box = h('div', {class: 'dg-box', 'data-span': slug},
    h('div', {class: 'chart-title'}, title, ' · ', csv),
    h('div', {class: 'unit-label'}, unit), div, readout);
  const draw = () => {
    if (!rows.length || typeof Dygraph !== 'function') {
      div.classList.add('nodata');
      div.textContent = t('no_data');
      return;
    }
    const vals = rows.map((r) => r[1]).filter((v) => v !== null);
    let lo = Math.min(...vals), hi = Math.max(...vals);
    if (p.limit_max !== undefined) hi = Math.max(hi, p.limit_max * 1.15);
    if (p.limit_min !== undefined) lo = Math.min(lo, p.limit_min - Math.abs(p.limit_min) * 0.1);
    if (lo > 0 && p.limit_min === undefined) lo = 0;
    if (hi - lo < 1e-9) hi = lo + 1;
    const limits = [p.limit_max, p.limit_min].filter((x) => x !== undefined);
    /* The library's own legend measures itself with an inline style, which
     * the page's Content-Security-Policy refuses; the page writes its own
     * (the readout), so that plugin is left out. */
    Dygraph.PLUGINS = Dygraph.PLUGINS.filter((P) => P !== Dygraph.Plugins.Legend);
    const g = new Dygraph(div, rows, {
      labels: [t('axis_time'), pname(p.param)], labelsUTC: true, legend: 'never',
      valueRange: [lo, hi + (hi - lo) * 0.05], colors: ['#0b5cad'], strokeWidth: 1.5,
      drawPoints: true, pointSize: 1.5, highlightCircleSize: 4, gridLineColor: '#e6eaee',
      axisLabelFontSize: 12, rightGap: 8,
      axes: {
        x: {pixelsPerLabel: 64, axisLabelFormatter: (d, gran) => (gran >= DAILY
          ? `${pad2(d.getUTCDate())}/${pad2(d.getUTCMonth() + 1)}` : `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`)},
        y: {axisLabelWidth: 44, pixelsPerLabel: 28, axisLabelFormatter: (v) => fmtNum(v, 4)},
      },
      /* values beyond the limit: red dots */
      drawPointCallback: (gr, name, ctx, cx, cy, color, size, idx) => {
        const v = rows[idx] && rows[idx][1];
        const bad = v !== null && v !== undefined && overLimit(p, v);
        ctx.fillStyle = bad ? '#b3261e' : color;
        ctx.beginPath();
        ctx.arc(cx, cy, bad ? 2.4 : size, 0, 2 * Math.PI);
        ctx.fill();
      },
      /* the limit: a dashed red line with its value written on it */
      underlayCallback: (ctx, area, gr) => {
        const labels = [];
        for (const lim of limits) {
          const y = gr.toDomYCoord(lim);
          if (y < area.y || y > area.y + area.h) continue;
          const text = `${t('limit')} ${fmtNum(lim)} ${unit}`.trim();
          ctx.save();
          ctx.strokeStyle = '#b3261e';
          ctx.lineWidth = 1.5;
          ctx.setLineDash([6, 4]);
          ctx.beginPath();
          ctx.moveTo(area.x, y);
          ctx.lineTo(area.x + area.w, y);
          ctx.stroke();
          ctx.font = '600 12px system-ui, sans-serif';
          ctx.fillStyle = '#b3261e';
          ctx.textAlign = 'right';
          ctx.fillText(text, area.x + area.w - 4, lim === p.limit_min ? y + 14 : y - 4);
          ctx.restore();
          labels.push(text);
        }
        div.dataset.limitLabel = labels.join(' | ');
      },
      /* values on hover (or touch): written below the chart, as text */
      highlightCallback: (ev, x, pts) => {
        const pt = pts && pts[0];
        if (!pt || pt.yval === null || pt.yval === undefined) return;
        readout.textContent = `${fmtMs(x - HANOI_MS)}: ${fmtNum(pt.yval, 4)} ${unit}` +
          (overLimit(p, pt.yval) ? ` (${t('k_exceedance').toLowerCase()})` : '');
      },
      unhighlightCallback: () => { readout.textContent = '\u00a0'; },
    });
    div.graph = g;
  };
  return {box, draw};
}

/* ---- one station ---- */
function regulationText(st) {
  const g = st.regulation;
  if (!g) return t('regulation_none');
  const num = (v) => (typeof v === 'number' ? v.toLocaleString(lang === 'vi' ? 'vi-VN' : 'en-GB', {minimumFractionDigits: 1}) : '–');
  return t('cmax_rule', {reg: g.code || g.id, col: g.column || '–', kq: num(g.kq), kf: num(g.kf)});
}
function exceedanceCard(a) {
  const u = a.unit ? ' ' + a.unit : '';
  const r = ratioOf(a);
  return h('article', {class: 'exc', 'data-alert': a.id, 'data-param': a.param || ''},
    h('div', {class: 'exc-head'}, h('strong', {}, a.param ? pname(a.param) : t('k_' + a.kind)), ' ',
      h('span', {class: 'exc-win'}, windowsText(a))),
    h('div', {class: 'exc-val'},
      h('span', {class: 'big'}, `${fmtNum(a.value)}${u}`), ' ', t('limit_word'), ' ',
      a.limit !== undefined ? `${fmtNum(a.limit)}${u}` : '–',
      r !== null && r > 1 ? h('span', {class: 'times'}, ' · ' + t('times_over', {x: fmtNum(r)})) : null),
    h('div', {class: 'exc-since'}, `${t('since')} ${fmtTime(sinceOf(a))}`));
}
function flagHistory(list) {
  const items = (list && list.episodes) || [];
  if (!items.length) return h('p', {class: 'none'}, t('flag_history_none'));
  return h('ul', {class: 'flag-history'}, items.map((f) => {
    const rs = (f.reasons || []).map((r) => (lang === 'vi' && r.text_vi) || r.text || pname(r.param));
    return h('li', {'data-raised': f.raised || ''}, h('strong', {}, `${t('flag_raised')} ${fmtTime(f.raised)}`), ' → ',
      f.cleared ? `${t('flag_cleared')} ${fmtTime(f.cleared)}` : h('span', {class: 'warn'}, t('flag_open')),
      f.from_start ? h('div', {class: 'hint'}, t('from_start', {t: fmtTime(list.known_from)})) : null,
      rs.length ? h('ul', {class: 'reasons'}, rs.map((x) => h('li', {}, x))) : null);
  }));
}
/* Polls expected, received, lost and late per day (docs/api.md, completeness). */
function complTable(c) {
  if (!c) return h('p', {class: 'hint'}, t('compl_missing'));
  const int = (n) => Number(n).toLocaleString(lang === 'vi' ? 'vi-VN' : 'en-GB');
  const pc = (s) => (lang === 'vi' ? s : s.replace(',', '.'));
  const gapText = (g) => (g.device ? `${g.device}: ` : '') +
    (g.n === 1 ? `${fmtTime(g.from)} (1)` : `${fmtTime(g.from)} – ${fmtTime(g.to)} (${int(g.n)})`);
  /* the gaps under the table, not in it: a column of times does not fit a phone;
     the longest of the week first, since thousands of short ones say less than one long one */
  /* a device silent across midnight is one gap: the days' pieces are joined */
  const joined = [];
  for (const g of c.days.flatMap((d) => d.gaps)) {
    let prev = null; /* the device's latest piece (findLast is missing on older phones' browsers) */
    for (const p of joined) if (p.device === g.device) prev = p;
    /* the day's first poll keeps the device's phase, an empty day counts from
       midnight: the pieces meet one to two intervals apart (docs/api.md) */
    const apart = prev ? Date.parse(g.from) - Date.parse(prev.to) : 0;
    if (prev && prev.ends_day && g.starts_day && g.interval_ms === prev.interval_ms &&
        apart > 0 && apart < 2 * g.interval_ms) {
      prev.to = g.to;
      prev.ends_day = g.ends_day;
      prev.n += g.n;
    } else {
      joined.push({...g});
    }
  }
  const all = joined.sort((a, b) => b.n - a.n || (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
  const gaps = all.slice(0, 10).map((g) => h('li', {}, gapText(g)));
  if (all.length > 10) gaps.push(h('li', {}, t('compl_more', {n: int(all.length - 10)})));
  const days = c.days.slice().reverse();
  /* a day wholly before the station's first stored reading expects nothing (docs/api.md) */
  const before = (d) => !c.records_from || Date.parse(`${d.day}T00:00:00+07:00`) + 86400000 <= Date.parse(c.records_from);
  const since = c.records_from && days.some(before) ? t('compl_since', {t: fmtTime(c.records_from)}) : null;
  return h('div', {},
    h('p', {id: 'completeness-total'}, h('strong', {}, t('compl_line', {l: int(c.total.lost), e: int(c.total.expected), p: pc(c.total.lost_pct)}))),
    h('div', {class: 'table-wrap'}, h('table', {class: 'compl'},
      h('thead', {}, h('tr', {}, ...['compl_day', 'compl_expected', 'compl_received', 'compl_lost', 'compl_late'].map((k) => h('th', {}, t(k))))),
      h('tbody', {}, days.map((d) => h('tr', {'data-day': d.day, class: before(d) ? 'none' : null},
        h('td', {}, `${d.day.slice(8, 10)}/${d.day.slice(5, 7)}`, h('span', {class: 'year'}, `/${d.day.slice(0, 4)}`)),
        ...(before(d) ? [0, 1, 2, 3].map(() => h('td', {class: 'num'}, '–')) : [
          h('td', {class: 'num'}, int(d.expected)), h('td', {class: 'num'}, int(d.received)),
          h('td', {class: 'num'}, d.lost ? h('span', {class: 'warn'}, `${int(d.lost)} `, h('span', {class: 'pct'}, `(${pc(d.lost_pct)} %)`)) : '0'),
          h('td', {class: 'num'}, int(d.late))])))))),
    since ? h('p', {class: 'hint', id: 'completeness-since'}, since) : null,
    c.records_from ? null : h('p', {class: 'hint', id: 'completeness-since'}, t('compl_never')),
    gaps.length ? h('p', {}, t('compl_gaps')) : null,
    gaps.length ? h('ul', {class: 'gaps', id: 'completeness-gaps'}, gaps) : null,
    h('p', {class: 'hint'}, t('compl_hint', {m: Math.round(c.lost_after_s / 60)})));
}
/* The measuring-configuration changes, newest first (docs/api.md, config). */
function confList(c) {
  if (!c) return h('p', {class: 'hint'}, t('conf_missing'));
  if (!c.changes.length) return h('p', {class: 'none'}, t('conf_none'));
  const en = (x) => `${x.param ? `${pname(x.param)} (${x.device || x.station})` : x.device ? `device ${x.device}` : `station ${x.station}`}: ` +
    `${x.setting} ${x.from ?? '(none)'} → ${x.to ?? '(none)'}`;
  return h('ul', {class: 'gaps', id: 'config-changes'},
    c.changes.map((x) => h('li', {'data-setting': x.setting}, `${fmtTime(x.time)}: ${lang === 'vi' ? x.text_vi : en(x)}`)));
}
/* The laboratory results and their comparison with the analyzer, newest
 * first (docs/api.md, "Laboratory samples"). */
function labTable(l) {
  if (!l) return h('p', {class: 'hint'}, t('lab_missing'));
  if (!l.samples.length) return h('p', {class: 'none'}, t('lab_none'));
  const u = (x) => (x.unit ? ' ' + x.unit : '');
  const signed = (v) => (v > 0 ? '+' : '') + fmtNum(v);
  const s0 = l.samples[0];
  return h('div', {},
    h('div', {class: 'table-wrap'}, h('table', {class: 'alerts', id: 'lab-samples'},
      h('thead', {}, h('tr', {}, ['lab_taken', 'lab_param', 'lab_value', 'lab_analyzer', 'lab_diff', 'lab_verdict', 'lab_lab', 'lab_ref', 'lab_by'].map((k) => h('th', {}, t(k))))),
      h('tbody', {}, l.samples.map((x) => h('tr', {'data-verdict': x.verdict, class: x.verdict === 'disagree' ? 'open' : 'closed'},
        h('td', {'data-label': t('lab_taken')}, fmtTime(x.taken)),
        h('td', {'data-label': t('lab_param')}, pname(x.param)),
        h('td', {'data-label': t('lab_value'), class: 'num'}, `${fmtNum(x.value)}${u(x)}`),
        h('td', {'data-label': t('lab_analyzer'), class: 'num'}, x.analyzer_mean === null ? '–' : `${fmtNum(x.analyzer_mean)}${u(x)}`,
          x.analyzer_n ? h('span', {class: 'hint'}, ` (n = ${x.analyzer_n})`) : null),
        h('td', {'data-label': t('lab_diff'), class: 'num'}, x.difference === null ? '–'
          : `${signed(x.difference)}${u(x)}` + (x.relative_pct === null ? '' : ` (${signed(x.relative_pct)} %)`)),
        h('td', {'data-label': t('lab_verdict')}, h('span', {class: `badge ${x.verdict === 'disagree' ? 'flag-yes' : x.verdict === 'agree' ? 'flag-no' : ''}`}, t('v_' + x.verdict))),
        h('td', {'data-label': t('lab_lab')}, x.laboratory),
        h('td', {'data-label': t('lab_ref')}, x.reference),
        h('td', {'data-label': t('lab_by')}, x.recorded_by || '–')))))),
    h('p', {class: 'hint'}, t('lab_hint', {m: Math.round(s0.window_s / 60), p: fmtNum(s0.tolerance_pct)})));
}
/* The form for a laboratory result (inspectors and operators) (POST /api/stations/{id}/samples).
 * The time is typed in Hanoi time and sent in UTC. */
function openLab(btn, id, params) {
  stopPolling(); /* the form must not be redrawn under the user's fingers */
  const msg = h('p', {class: 'error', role: 'alert'});
  const param = h('select', {id: 'lab-param', required: true}, params.map((p) => h('option', {value: p.param}, `${pname(p.param)}${p.unit ? ' (' + p.unit + ')' : ''}`)));
  const value = h('input', {id: 'lab-value', type: 'number', step: 'any', required: true});
  const now = fmtMs(Date.now());
  const taken = h('input', {id: 'lab-taken', type: 'datetime-local', required: true,
    value: `${now.slice(6, 10)}-${now.slice(3, 5)}-${now.slice(0, 2)}T${now.slice(11, 16)}`});
  const labo = h('input', {id: 'lab-laboratory', maxlength: 128, required: true});
  const ref = h('input', {id: 'lab-reference', maxlength: 128, required: true});
  const form = h('form', {class: 'ack-form', id: 'lab-form'},
    h('label', {}, t('lab_param'), ' ', param), ' ',
    h('label', {}, t('lab_value'), ' ', value), ' ',
    h('label', {}, `${t('lab_taken')} (${t('lab_taken_hint')})`, ' ', taken), ' ',
    h('label', {}, t('lab_lab'), ' ', labo), ' ',
    h('label', {}, t('lab_ref'), ' ', ref),
    h('div', {}, h('button', {type: 'submit', class: 'primary', id: 'lab-submit'}, t('lab_send')), ' ',
      h('button', {type: 'button', onclick: () => route()}, t('cancel'))), msg);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const ms = Date.parse(taken.value + ':00Z') - HANOI_MS;
    try {
      await api('POST', `/api/stations/${encodeURIComponent(id)}/samples`, {param: param.value, value: Number(value.value),
        taken: isNaN(ms) ? taken.value : new Date(ms).toISOString(), laboratory: labo.value.trim(), reference: ref.value.trim()});
      route();
    } catch (e) {
      msg.textContent = e.status === 403 ? t('lab_denied') : t('error', {e: e.message});
    }
  });
  btn.replaceWith(form);
  value.focus();
}
function stationView(id) {
  const root = h('section', {id: 'station', 'data-station': id});
  $('#view').replaceChildren(root);
  let params = null, showAll = false, flags, compl, complAt = 0, conf, lab;
  const charts = h('div', {class: 'charts', id: 'charts'});
  const avail = h('div', {id: 'availability'});
  const hoursWithData = {};
  async function drawCharts(st) {
    const now = Date.now();
    const limited = params.filter((p) => p.limited || p.param === 'flow_out');
    const made = await Promise.all(limited.map(async (p) => {
      const qd = `param=${encodeURIComponent(p.param)}&every=10m&from=${now - 86400000}&to=${now}`;
      const qm = `param=${encodeURIComponent(p.param)}&every=1h&from=${now - 30 * 86400000}&to=${now}`;
      const q = (query) => api('GET', `/api/stations/${encodeURIComponent(id)}/series?${query}`).catch(() => ({points: []}));
      const [day, month] = await Promise.all([q(qd), q(qm)]);
      hoursWithData[p.param] = month.points.length;
      const comp = st.checks && st.checks.compliance && st.checks.compliance[p.param];
      const c1 = chartBox(id, t('last_day'), day.points, p, 600000, '10m', qd);
      const c2 = chartBox(id, t('last_30'), month.points, p, 3600000, '1h', qm);
      const over = comp ? comp.hours - Math.round(comp.within * comp.hours) : null;
      return {draws: [c1.draw, c2.draw], fig: h('figure', {class: 'chart-box', 'data-param': p.param},
        h('figcaption', {},
          h('strong', {}, pname(p.param)), ' · ', p.limited ? `${t('limit')} ${limitText(p)}` : t('no_limit'),
          p.limited && p.factors_applied && p.c_max !== undefined ? ` (${t('c_of', {c: fmtNum(p.c_max)})} × Kq × Kf)` : '',
          comp && comp.hours ? ` · ${t(over > 0 ? 'over_hours' : 'within_hours', {n: over, h: comp.hours})}` : ''),
        h('div', {class: 'pair'}, c1.box, c2.box))};
    }));
    charts.replaceChildren(...made.map((m) => m.fig), h('p', {class: 'hint'}, t('hover_hint')));
    for (const m of made) for (const d of m.draws) d();
  }
  const refresh = async () => {
    await stationNames();
    const st = await api('GET', `/api/stations/${encodeURIComponent(id)}`);
    if (!params) params = await paramsOf(id);
    if (flags === undefined) {
      flags = await api('GET', `/api/stations/${encodeURIComponent(id)}/flags`).catch((e) => (e.status === 404 || e.status === 405 ? null : undefined));
    }
    if (Date.now() - complAt > 60000) {
      complAt = Date.now();
      compl = await api('GET', `/api/stations/${encodeURIComponent(id)}/completeness`).catch(() => null);
      conf = await api('GET', `/api/stations/${encodeURIComponent(id)}/config`).catch(() => null);
      lab = await api('GET', `/api/stations/${encodeURIComponent(id)}/samples`).catch(() => null);
    }
    const open = await api('GET', `/api/alerts?station=${encodeURIComponent(id)}&state=open&order=page&limit=500`);
    /* the latest 10 closed, and "show all" only when there are more */
    const closed = await api('GET', `/api/alerts?station=${encodeURIComponent(id)}&state=closed&limit=${showAll ? 1000 : 11}`);
    const past = showAll ? closed : closed.slice(0, 10);
    const exc = open.filter((a) => a.kind === 'exceedance');
    const others = open.filter((a) => a.kind !== 'exceedance')
      .sort((a, b) => (PRIORITY_RANK[a.priority] ?? 3) - (PRIORITY_RANK[b.priority] ?? 3) || Date.parse(sinceOf(b)) - Date.parse(sinceOf(a)));
    const c = st.checks || {};
    avail.replaceChildren(h('dl', {class: 'facts'},
      h('dt', {}, t('window')), h('dd', {}, `${c.hours ?? '–'} / ${c.window_h ?? '–'} ${t('hours')}`),
      h('dt', {}, t('avail_worst')), h('dd', {}, `${pct(c.availability)}%${c.availability_param ? ' (' + pname(c.availability_param) + ')' : ''}`),
      h('dt', {}, t('faults_worst')), h('dd', {}, `${pct(c.faults)}%${c.faults_param ? ' (' + pname(c.faults_param) + ')' : ''}`),
      h('dt', {}, t('hours_with_data')),
      h('dd', {}, Object.entries(hoursWithData).map(([p, n]) => `${pname(p)}: ${n}/720 (${Math.round((n / 720) * 100)}%)`).join(' · ') || '–')));
    const toggle = !showAll && closed.length <= 10 ? null : h('button', {type: 'button', class: 'link', id: 'history-all',
      onclick: () => { showAll = !showAll; refresh().catch(() => {}); }}, showAll ? t('show_less') : t('show_all'));
    /* the charts are kept across refreshes (drawn again once a minute) */
    root.replaceChildren(
      h('a', {href: '#/', class: 'back'}, t('back')),
      h('h1', {}, st.name),
      h('div', {class: 'badges'}, flagBadge(st), reviewBadge(st), statusBadge(st)),
      h('h2', {}, t('now_over')),
      exc.length ? h('div', {class: 'exc-list', id: 'exceedances'}, exc.map(exceedanceCard))
                 : h('p', {class: 'none', id: 'exceedances'}, t('none_over')),
      h('h2', {}, t('other_open')),
      h('div', {id: 'open-alerts'}, alertTable(others, false)),
      h('dl', {class: 'facts'},
        h('dt', {}, t('regulation')), h('dd', {id: 'regulation'}, regulationText(st), st.regulation && st.regulation.title_vi && lang === 'vi' ? h('div', {class: 'hint'}, st.regulation.title_vi) : null),
        h('dt', {}, t('district')), h('dd', {}, st.district || '–'),
        h('dt', {}, t('plan')), h('dd', {}, t('plan_' + st.plan)),
        h('dt', {}, t('last_data')), h('dd', {}, st.last_seen ? `${fmtTime(st.last_seen)} (${ago(st.last_seen)})` : t('never')),
        st.flagged ? h('dt', {}, t('flagged_since')) : null, st.flagged ? h('dd', {}, fmtTime(st.flagged_since)) : null),
      h('h2', {}, t('reasons')),
      st.reasons.length ? h('ul', {class: 'reasons'}, st.reasons.map((r) => h('li', {'data-rule': r.rule}, reasonText(r, st, params))))
                        : h('p', {}, t('no_reasons')),
      h('h2', {}, t('flag_history')),
      h('div', {id: 'flag-history'}, flags === null ? h('p', {class: 'hint'}, t('flag_history_missing')) : flagHistory(flags)),
      h('h2', {}, t('params_title')), charts,
      h('h2', {}, t('history')), h('div', {id: 'alert-history'}, alertTable(past, false)), toggle || '',
      h('h2', {}, t('availability_title')), avail,
      h('h2', {}, t('compl_title')), h('div', {id: 'completeness'}, complTable(compl)),
      h('h2', {}, t('conf_title')), h('div', {id: 'config'}, confList(conf)),
      h('h2', {}, t('lab_title')), h('div', {id: 'lab'}, labTable(lab),
        state.me && params && params.length /* inspectors and operators record */
          ? h('button', {type: 'button', class: 'ack-btn', id: 'lab-add', onclick: (ev) => openLab(ev.target, id, params)}, t('lab_add')) : null));
    if (Date.now() - state.chartsAt > 60000) {
      state.chartsAt = Date.now();
      await drawCharts(st);
    }
  };
  return refresh;
}

/* ---- alerts ---- */
function ackCell(a) {
  if (a.ack) {
    return h('div', {class: 'ack-info'}, h('strong', {}, t('ack_by', {user: a.ack.user, time: fmtTime(a.ack.time)})),
             h('div', {class: 'ack-comment'}, a.ack.comment));
  }
  if (!state.me || !state.me.can_ack) return '–';
  return h('button', {type: 'button', class: 'ack-btn', 'data-alert': a.id, onclick: (ev) => openAck(ev.target, a)}, t('ack'));
}
function openAck(btn, a) {
  stopPolling(); /* the form must not be redrawn under the user's fingers */
  const msg = h('p', {class: 'error', role: 'alert'});
  const ta = h('textarea', {id: 'ack-comment', maxlength: 1000, rows: 2, required: true, placeholder: t('ack_comment')});
  const form = h('form', {class: 'ack-form', id: 'ack-form'}, ta,
    h('div', {}, h('button', {type: 'submit', class: 'primary', id: 'ack-submit'}, t('ack_send')), ' ',
      h('button', {type: 'button', onclick: () => route()}, t('cancel'))), msg);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await api('POST', `/api/alerts/${encodeURIComponent(a.id)}/ack`, {comment: ta.value.trim()});
      route();
    } catch (e) {
      msg.textContent = e.status === 403 ? t('ack_denied') : t('error', {e: e.message});
    }
  });
  btn.replaceWith(form);
  ta.focus();
}
function alertTable(list, withStation) {
  if (!list.length) return h('p', {class: 'none'}, t('none'));
  return h('div', {class: 'table-wrap'}, h('table', {class: 'alerts'},
    h('thead', {}, h('tr', {}, withStation ? h('th', {}, t('c_station')) : null, h('th', {}, t('c_param')), h('th', {}, t('c_kind')),
      h('th', {}, t('c_priority')), h('th', {}, t('c_window')), h('th', {}, t('c_since')), h('th', {}, t('c_state')),
      h('th', {}, t('c_value')), h('th', {}, t('c_ack')))),
    h('tbody', {}, list.map((a) => h('tr', {'data-alert': a.id, 'data-priority': a.priority || '', class: a.state === 'open' ? 'open' : 'closed'},
      withStation ? h('td', {'data-label': t('c_station')}, h('a', {href: `#/station/${encodeURIComponent(a.station)}`}, sname(a.station))) : null,
      h('td', {'data-label': t('c_param')}, a.param ? pname(a.param) : Array.isArray(a.params) && a.params.length ? a.params.map(pname).join(', ') : '–'),
      h('td', {'data-label': t('c_kind')}, t('k_' + a.kind), a.count > 1 && a.active_s !== undefined
        ? h('div', {class: 'hint'}, t('episode', {n: a.count, d: durText(a.active_s)})) : null),
      h('td', {'data-label': t('c_priority')}, prioBadge(a)),
      h('td', {'data-label': t('c_window'), class: 'c-window'}, windowsText(a)),
      h('td', {'data-label': t('c_since')}, fmtTime(sinceOf(a))),
      h('td', {'data-label': t('c_state')}, a.state === 'open' ? h('span', {class: 'badge flag-yes'}, t('state_open'))
        : `${t('state_closed')} (${fmtTime(a.end)})`),
      h('td', {'data-label': t('c_value')}, valueText(a)),
      h('td', {'data-label': t('c_ack')}, ackCell(a)))))));
}
const ALERT_FILTERS = ['station', 'state', 'priority', 'kind', 'param'];
function alertsView(params) {
  const root = h('section', {id: 'alerts'});
  $('#view').replaceChildren(root);
  const sel = (name, opts, cur) => h('select', {id: 'f-' + name, name},
    opts.map(([v, label]) => h('option', {value: v, selected: v === (cur || '') ? true : null}, label)));
  const list = h('div', {id: 'alert-list'});
  const count = h('p', {class: 'count', id: 'alert-count'});
  let stations = null;
  const form = h('form', {class: 'filters', id: 'alert-filters'});
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams();
    for (const el of form.elements) if (el.name && el.value) q.set(el.name, el.value);
    location.hash = '#/alerts?' + q.toString();
  });
  /* The API's filters, from the page's: the same for the list and its CSV. */
  const q = new URLSearchParams({order: 'page'});
  for (const k of ALERT_FILTERS) if (params.get(k)) q.set(k, params.get(k));
  /* Dates are Hanoi days (UTC+7). */
  if (params.get('from')) q.set('from', String(Date.parse(params.get('from') + 'T00:00:00+07:00')));
  if (params.get('to')) q.set('to', String(Date.parse(params.get('to') + 'T00:00:00+07:00') + 86400000));
  const csv = h('a', {id: 'alerts-csv', class: 'csv-link', href: '/api/alerts.csv?' + q.toString(), download: 'alerts.csv'}, t('csv_alerts'));
  root.append(h('h1', {}, t('alerts_title')), form, h('p', {class: 'count'}, csv), count, list);
  return async () => {
    if (!stations) {
      stations = await api('GET', '/api/stations');
      state.names = Object.fromEntries(stations.map((x) => [x.id, x.name]));
      const kinds = ['exceedance', 'range', 'availability', 'fault', 'calibration', 'offline', 'suspect_data', 'forged', 'config_change', 'lab_mismatch'];
      form.replaceChildren(
        h('label', {}, t('f_station'), sel('station', [['', t('f_all')], ...stations.map((x) => [x.id, x.name])], params.get('station'))),
        h('label', {}, t('f_state'), sel('state', [['', t('s_all')], ['open', t('s_open')], ['unacked', t('s_unacked')],
          ['acked', t('s_acked')], ['closed', t('s_closed')]], params.get('state'))),
        h('label', {}, t('f_priority'), sel('priority', [['', t('f_all')], ['high', t('p_high')], ['medium', t('p_medium')], ['low', t('p_low')]], params.get('priority'))),
        h('label', {}, t('f_kind'), sel('kind', [['', t('f_all')], ...kinds.map((k) => [k, t('k_' + k)])], params.get('kind'))),
        h('label', {}, t('f_param'), sel('param', [['', t('f_all')], ...['cod', 'nh4', 'tss', 'ph', 'temp', 'color', 'tn', 'tp', 'bod5', 'flow_out'].map((p) => [p, pname(p)])], params.get('param'))),
        h('label', {}, t('f_from'), h('input', {type: 'date', name: 'from', id: 'f-from', value: params.get('from') || null})),
        h('label', {}, t('f_to'), h('input', {type: 'date', name: 'to', id: 'f-to', value: params.get('to') || null})),
        h('button', {type: 'submit', class: 'primary'}, t('apply')));
    }
    const lq = new URLSearchParams(q);
    lq.set('limit', '200');
    const r = await fetch('/api/alerts?' + lq, {headers: {'X-Requested-With': 'wwtp'}, cache: 'no-store'});
    if (r.status === 401) { showLogin(); return; }
    const j = await r.json();
    if (!r.ok) throw new HttpError(r.status, j.error);
    count.textContent = t('shown', {n: j.length, total: r.headers.get('X-Total-Count') || j.length});
    list.replaceChildren(alertTable(j, true));
  };
}

/* ---- the monthly report ---- */
function reportView() {
  const d = new Date(Date.now() + 7 * 3600000);
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() - 1);
  const month = d.toISOString().slice(0, 7);
  const root = h('section', {id: 'report'});
  const m = h('input', {type: 'month', id: 'report-month', value: month, required: true});
  /* stations by name (the value is the id the report takes) */
  const st = h('select', {id: 'report-station'}, h('option', {value: ''}, t('report_all')));
  const link = (csv) => `/report?month=${encodeURIComponent(m.value)}&lang=${lang}` +
    (st.value.trim() ? `&station=${encodeURIComponent(st.value.trim())}` : '') + (csv ? '&format=csv' : '');
  root.append(h('h1', {}, t('report_title')), h('p', {}, t('report_note')),
    h('form', {class: 'filters', id: 'report-form', onsubmit: (ev) => { ev.preventDefault(); window.open(link(false), '_blank', 'noopener'); }},
      h('label', {}, t('report_month'), m), h('label', {}, t('report_station'), st),
      h('button', {type: 'submit', class: 'primary', id: 'report-open'}, t('report_open')),
      h('button', {type: 'button', onclick: () => { location.href = link(true); }}, t('report_csv'))));
  const arch = h('section', {id: 'archive'}, h('h2', {}, t('archive_title')), h('p', {class: 'muted'}, t('archive_note')));
  root.append(arch);
  $('#view').replaceChildren(root);
  let archived = false;
  return async () => {
    if (!archived) {
      archived = true;
      const a = await api('GET', '/api/reports');
      await stationNames();
      if (!a.periods.length) arch.append(h('p', {id: 'archive-empty'}, t(a.scheduled ? 'archive_none' : 'archive_off')));
      for (const p of a.periods) arch.append(archiveItem(p));
    }
    if (st.options.length > 1) return;
    const list = await api('GET', '/api/stations');
    st.append(...list.map((x) => h('option', {value: x.id}, x.name)));
  };
}
/* One archived period: its name, when it was made, its PDFs (the HTML when
 * it has none) and its SHA256SUMS; each link's title is the file's SHA-256. */
function archivePeriod(id) {
  const [y, rest] = id.split('-');
  if (!rest) return t('archive_year', {y});
  if (rest[0] === 'Q') return t('archive_quarter', {q: ['', 'I', 'II', 'III', 'IV'][+rest[1]] || rest, y});
  return t('archive_month', {m: rest, y});
}
function archiveItem(p) {
  const pdfs = p.files.filter((f) => f.name.endsWith('.pdf'));
  const docs = pdfs.length ? pdfs : p.files.filter((f) => f.name.endsWith('.html'));
  /* a document by what it is about, not by its file name */
  const label = (f) => {
    if (f.name.startsWith('fleet-')) return t('archive_fleet');
    const m = f.name.match(/^station-(.+)-\d{4}(-\d\d|-Q\d)?\.[a-z]+$/);
    return m ? sname(m[1]) : f.name;
  };
  const link = (f, text) => h('a', {href: `/reports/${encodeURIComponent(p.id)}/${encodeURIComponent(f.name)}`,
    title: f.sha256 ? `${f.name} · SHA-256 ${f.sha256}` : f.name, target: '_blank', rel: 'noopener'}, text || label(f));
  /* the fleet's document first, then the plants' */
  docs.sort((a, b) => (b.name.startsWith('fleet') - a.name.startsWith('fleet')) || a.name.localeCompare(b.name));
  return h('div', {class: 'card archive-period', 'data-period': p.id},
    h('h3', {}, archivePeriod(p.id), ' ', h('span', {class: 'muted'}, t('archive_made', {t: fmtTime(p.made)}))),
    h('div', {class: 'archive-files'}, ...docs.map((f) => link(f)), link({name: 'SHA256SUMS', sha256: ''}, t('archive_sums'))));
}

/* ---- start ---- */
function applyLang() {
  document.documentElement.lang = lang;
  document.title = t('app_title');
  for (const e of document.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
  $('#lang-toggle').textContent = t('lang_other');
  if (state.me) $('#who-name').textContent = `${state.me.user} · ${t('role_' + state.me.role)}`;
}
async function start() {
  const q = new URLSearchParams(location.search);
  lang = q.get('lang') === 'en' || q.get('lang') === 'vi' ? q.get('lang') : (localStorage.getItem('wwtp-lang') || 'vi');
  applyLang();
  $('#lang-toggle').addEventListener('click', () => {
    lang = lang === 'vi' ? 'en' : 'vi';
    localStorage.setItem('wwtp-lang', lang);
    applyLang();
    if (state.me) route(); else showLogin();
  });
  $('#logout').addEventListener('click', logout);
  window.addEventListener('hashchange', route);
  try {
    state.me = await api('GET', '/api/me');
    loggedIn();
  } catch (e) {
    showLogin();
  }
}
document.addEventListener('DOMContentLoaded', start);
