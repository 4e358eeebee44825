import { ConfigError, envNumber } from '../shared/runtime/env';
import { retentionDays } from '../shared/event-log/config';
import { triggersConfig } from '../shared/triggers/config';
import { contactsConfig } from '../shared/contacts/config';

describe('numbers from the environment', () => {
  it('falls back when unset or blank, and reads the value otherwise', () => {
    expect(envNumber({}, 'X', 7)).toBe(7);
    expect(envNumber({ X: ' ' }, 'X', 7)).toBe(7);
    expect(envNumber({ X: '12' }, 'X', 7, { integer: true, min: 1 })).toBe(12);
  });

  it.each([
    ['not a number', 'seven', {}],
    ['a fraction where an integer is due', '1.5', { integer: true }],
    ['below the minimum', '0', { min: 1 }],
    ['above the maximum', '2000', { max: 1000 }],
  ])('refuses %s, naming the variable', (_name, value, rule) => {
    expect(() => envNumber({ X: value }, 'X', 1, rule)).toThrow(ConfigError);
    expect(() => envNumber({ X: value }, 'X', 1, rule)).toThrow(/^X must be/);
  });

  it('is what every function setting goes through', () => {
    expect(() => retentionDays({ EVENT_LOG_RETENTION_DAYS: '0' })).toThrow(/EVENT_LOG_RETENTION_DAYS/);
    expect(() => triggersConfig({ TRIGGERS_MAX_WORKSPACES: 'many' })).toThrow(/TRIGGERS_MAX_WORKSPACES/);
    expect(() => contactsConfig({ CONTACTS_COALESCE_SECONDS: '-1' })).toThrow(/CONTACTS_COALESCE_SECONDS/);
    expect(contactsConfig({ CONTACTS_COALESCE_SECONDS: '0' }).coalesceMs).toBe(0);
  });
});
