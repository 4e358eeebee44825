/**
 * The latency metrics, the pipeline dashboard and the p95-age alert, held
 * against the fields the functions log (the stack test finds `age_ms` and
 * `success_age_ms` on the consumers' lines) and against what the dashboard
 * must show: requests, refusals and rejections by reason, age per consumer,
 * POST -> success, dead letters and backlog per subscription.
 */
import { loadConfig, type TfConfig } from './hcl';

interface LogMetric {
  filter: string;
  labels: string[];
  value_field?: string;
}
interface Series {
  filter: string;
  reducer: string;
  group_by: string[];
}

let tf: TfConfig;
beforeAll(async () => {
  tf = await loadConfig();
});

const metrics = () => tf.locals.log_metrics as Record<string, LogMetric>;

test('age and POST -> success are distributions of the fields the consumers log', () => {
  expect(metrics().event_age).toMatchObject({ value_field: 'age_ms', labels: ['component'] });
  expect(metrics().event_age!.filter).toMatch(/jsonPayload\.age_ms>=0/);
  expect(metrics().success_age).toMatchObject({ value_field: 'success_age_ms', labels: ['type'] });
  expect(metrics().success_age!.filter).toMatch(/jsonPayload\.success_age_ms>=0/);
  const metric = tf.resources.google_logging_metric!.log!;
  expect(metric.value_extractor).toBe(
    '${try(each.value.value_field, null) == null ? null : "EXTRACT(jsonPayload.${each.value.value_field})"}',
  );
  // Counters stay counters: only an entry with value_field is a distribution.
  expect(
    Object.entries(metrics())
      .filter(([, m]) => m.value_field)
      .map(([name]) => name),
  ).toEqual(['event_age', 'success_age']);
});

test('the dashboard is built from locals with jsonencode and shows every figure the runbook names', () => {
  expect(tf.resources.google_monitoring_dashboard!.pipeline!.dashboard_json).toBe('${local.dashboard_json}');
  expect(tf.locals.dashboard_json).toMatch(/^\$\{jsonencode\(/);
  const charts = tf.locals.dashboard_charts as Array<{ title: string; series: Series[] | string }>;
  const filters = JSON.stringify(charts.map((c) => c.series));
  for (const wanted of [
    'local.dashboard_metric.webhook_requests',
    'local.dashboard_metric.normalizer_rejections',
    'local.dashboard_metric.event_age',
    'local.dashboard_metric.success_age',
    'subscription/dead_letter_message_count',
    'subscription/num_undelivered_messages',
    'subscription/oldest_unacked_message_age',
  ]) {
    expect(filters).toContain(wanted);
  }
  expect(filters).toContain('metric.label.reason');
  expect(filters).toContain('resource.label.subscription_id');
});

test('an alert fires when the p95 age at the triggers consumer passes a threshold variable', () => {
  const alert = (tf.locals.alerts as Record<string, { conditions: Array<Record<string, unknown>> }>).triggers_age_p95!;
  expect(alert.conditions).toEqual([
    expect.objectContaining({
      filter: '${local.log_metric_filter.event_age} AND metric.labels.component = "triggers"',
      reducer: 'REDUCE_PERCENTILE_95',
      threshold: '${var.alert_thresholds.triggers_age_p95_ms}',
    }),
  ]);
});
