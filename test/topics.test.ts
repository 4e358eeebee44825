import { topology } from '../shared/contracts/topology';
import { TOPIC_SETTINGS, topicName } from '../shared/contracts/topics';

describe('topic names', () => {
  it.each(Object.entries(TOPIC_SETTINGS))('the default for %s is a topic declared in topology.json', (_role, setting) => {
    expect(Object.keys(topology.topics)).toContain(setting.default);
  });

  it.each(Object.entries(TOPIC_SETTINGS))(
    'every function that publishes to the %s topic is given its variable with the same name',
    (_role, setting) => {
      for (const [name, fn] of Object.entries(topology.functions)) {
        if (fn.publishes.includes(setting.default) && fn.env[setting.variable] !== undefined) {
          expect(`${name}: ${fn.env[setting.variable]}`).toBe(`${name}: ${setting.default}`);
        }
      }
    },
  );

  it('takes the variable when set, the default when unset or blank', () => {
    expect(topicName('events', { EVENTS_TOPIC: 'events-test' })).toBe('events-test');
    expect(topicName('events', {})).toBe('events');
    expect(topicName('rejected', { REJECTED_TOPIC: '  ' })).toBe('webhook-rejected');
  });
});
