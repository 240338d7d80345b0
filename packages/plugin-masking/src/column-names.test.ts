// Column-name semantics: which names say a column holds a sensitive value, and which only mention one.
import { describe, expect, it } from 'vitest';
import { classifyColumnName } from './column-names.js';

describe('classifyColumnName', () => {
  it.each([
    ['email', 'email'],
    ['customerEmail', 'email'],
    ['EMAIL_ADDRESS', 'email'],
    ['e_mail', 'email'],
    ['emails', 'email'],
    ['phone', 'phone'],
    ['phone_number', 'phone'],
    ['mobile', 'phone'],
    ['home_phone', 'phone'],
    ['fax_number', 'phone'],
    ['ssn', 'ssn'],
    ['social_security_number', 'ssn'],
    ['card_number', 'card'],
    ['credit_card', 'card'],
    ['cc_number', 'card'],
    ['pan', 'card'],
    ['card', 'card'],
    ['cvv', 'secret'],
    ['iban', 'iban'],
    ['bank_account_number', 'iban'],
    ['password', 'password'],
    ['password_hash', 'password'],
    ['hashed_password', 'password'],
    ['passwd', 'password'],
    ['secret', 'secret'],
    ['client_secret', 'secret'],
    ['api_key', 'secret'],
    ['apiKey', 'secret'],
    ['private_key', 'secret'],
    ['date_of_birth', 'dob'],
    ['birth_date', 'dob'],
    ['dob', 'dob'],
    ['birthday', 'dob'],
    ['address', 'address'],
    ['billing_address', 'address'],
    ['street', 'address'],
    ['address_line1', 'address'],
    ['ip_address', 'ip'],
    ['ip', 'ip'],
    ['remote_addr', 'ip'],
    ['jwt', 'jwt'],
  ])('%s holds %s', (name, type) => {
    expect(classifyColumnName(name)).toEqual({ type, whole: true });
  });

  it.each(['token', 'access_token', 'refresh_token', 'key', 'sort_key', 'session_token'])('%s may hold a secret: values are judged by entropy', (name) => {
    expect(classifyColumnName(name)).toEqual({ type: 'secret', whole: false });
  });

  it.each([
    'id',
    'name',
    'email_verified',
    'email_sent_at',
    'is_email_confirmed',
    'phone_verified',
    'card_id',
    'card_brand',
    'card_last4',
    'card_holder',
    'password_changed_at',
    'password_reset_required',
    'api_key_id',
    'api_key_name',
    'public_key',
    'token_count',
    'mac_address',
    'wallet_address',
    'server_address',
    'secretary',
    'mobile_platform',
    'num_phones',
    'created_at',
    'description',
    'keyboard_layout',
    'monkey',
    '?column?',
  ])('%s is not a sensitive column', (name) => {
    expect(classifyColumnName(name)).toBeUndefined();
  });
});
