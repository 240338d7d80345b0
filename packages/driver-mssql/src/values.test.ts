// Value codecs: wire bytes as text and back, checked against tedious's encoders (an independent implementation) and the spec's layouts.
import { describe, expect, it } from 'vitest';
import { DataType } from './codes.js';
import { Cursor } from './cursor.js';
import { readTypeInfo, type TypeInfo } from './type-info.js';
import { valueBytes, valueText } from './values.js';

const info = (hex: string): TypeInfo => readTypeInfo(new Cursor(Buffer.from(hex, 'hex')));
/** Latin1_General_CI_AS: LCID 0x0409, flags, sort id 0. */
const LATIN1 = '0904d00034';
/** Latin1_General_100_CI_AS_SC_UTF8: the UTF-8 flag (bit 26) set. */
const UTF8 = '0904d00434';

// [TYPE_INFO hex, value bytes hex, text] — value bytes from tedious 19's generateParameterData where noted.
const CASES: [string, string, string, string][] = [
  ['tinyint (INT1)', '30', 'ff', '255'],
  ['smallint (INT2)', '34', 'feff', '-2'],
  ['int (INT4)', '38', '2a000000', '42'],
  ['bigint (INTN 8, tedious)', '2608', 'ffffffffffffdfff', '-9007199254740993'],
  ['int (INTN 4)', '2604', 'd6ffffff', '-42'],
  ['bit', '32', '01', '1'],
  ['float (FLTN 8, tedious)', '6d08', '000000000000f83f', '1.5'],
  ['real (FLT4)', '3b', '0000c03f', '1.5'],
  ['money (MONEYN 8, tedious)', '6e08', '000000003fe20100', '12.3455'],
  ['smallmoney (MONEYN 4, tedious)', '6e04', '68c5ffff', '-1.5000'],
  ['decimal(10,2) (tedious)', '6a090a02', '003930000000000000', '-123.45'],
  ['numeric(38,0)', '6c112600', '0101000000000000000000000000000000', '1'],
  ['date (tedious)', '28', '46460b', '2024-01-02'],
  ['time(3) (tedious)', '2903', '4c2ad702', '13:14:15.500'],
  ['datetime2(7) (tedious)', '2a07', '300568b71946460b', '2024-01-02 03:04:05.1230000'],
  ['datetimeoffset(7) (tedious, UTC)', '2b07', '300568b71946460b0000', '2024-01-02 03:04:05.1230000 +00:00'],
  ['datetime (tedious)', '6f08', 'ebb00000818f3200', '2024-01-02 03:04:05.123'],
  ['smalldatetime (tedious)', '6f04', 'ebb0b800', '2024-01-02 03:04:00'],
  ['uniqueidentifier (tedious)', '2410', 'ff19966f868b11d0b42d00c04fc964ff', '6F9619FF-8B86-D011-B42D-00C04FC964FF'],
  ['nvarchar(10) (tedious)', `e71400${LATIN1}`, '6800e900', 'hé'],
  ['varchar(10) cp1252', `a70a00${LATIN1}`, '68e980', 'hé€'],
  ['varchar(10) UTF-8 collation', `a70a00${UTF8}`, '68c3a9e282ac', 'hé€'],
  ['varbinary(10)', 'a50a00', 'deadbeef', '0xDEADBEEF'],
  ['xml', 'f100', '3c0061002f00', '<a/'],
];

describe('value codecs', () => {
  for (const [name, typeHex, dataHex, text] of CASES) {
    it(`${name}: ${dataHex} <-> ${text}`, () => {
      const type = info(typeHex);
      expect(valueText(type, Buffer.from(dataHex, 'hex'))).toBe(text);
      expect(valueBytes(type, text).toString('hex')).toBe(dataHex);
    });
  }

  it('datetimeoffset shows local time with its offset and stores UTC', () => {
    const type = info('2b00');
    // 2024-01-02 01:00:00 UTC at +02:00 is 03:00 local.
    const bytes = valueBytes(type, '2024-01-02 03:00:00 +02:00');
    expect(bytes.readUIntLE(0, 3)).toBe(3600);
    expect(bytes.readInt16LE(6)).toBe(120);
    expect(valueText(type, bytes)).toBe('2024-01-02 03:00:00 +02:00');
  });

  it('dates at the ends of the range', () => {
    const date = info('28');
    expect(valueText(date, Buffer.from('000000', 'hex'))).toBe('0001-01-01');
    expect(valueBytes(date, '9999-12-31').readUIntLE(0, 3)).toBe(3652058);
  });

  it('names the type for plugins', () => {
    expect(info('2604').name).toBe('int');
    expect(info(`e7ffff${LATIN1}`).name).toBe('nvarchar');
    expect(info('2a07').name).toBe('datetime2');
    expect(info(`a7ffff${LATIN1}`).layout).toBe(info('f100').layout);
    expect(info('6a090a02')).toMatchObject({ type: DataType.DecimalN, precision: 10, scale: 2 });
  });

  it('refuses text a numeric or temporal type cannot hold', () => {
    expect(() => valueBytes(info('2604'), 'abc')).toThrow(RangeError);
    expect(() => valueBytes(info('28'), 'tomorrow')).toThrow(RangeError);
    expect(() => valueBytes(info('6a050302'), '123456.7')).toThrow(RangeError);
    expect(() => valueBytes(info('2410'), 'not-a-guid')).toThrow(RangeError);
  });
});
