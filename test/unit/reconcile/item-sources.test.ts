import { itemPriceErpKind, stockLevelErpKind } from '../../../functions/reconcile/item-sources';
import type { ErpItemPort } from '../../../functions/shared/erp/erp-item-port';

/** An item port that records what it was asked and books one level and one price. */
function fakeItems(asked: string[]): ErpItemPort {
  return {
    listStockLevels: async () => [],
    listPrices: async () => [],
    findStockLevel: async (sku, locationId) => {
      asked.push(`level ${sku} ${locationId}`);
      return sku === 'TENT' && locationId === 'BER-1'
        ? { sku, locationId, available: 0, version: 4, updatedAt: '2026-11-27T10:00:00Z' }
        : undefined;
    },
    findPrice: async (sku, currency) => {
      asked.push(`price ${sku} ${currency}`);
      return { sku, currency, amount: '19.9', version: 5, updatedAt: '2026-11-27T10:00:00+01:00' };
    },
  };
}

describe('stockLevelErpKind', () => {
  it('reads a level by its <sku>@<location> key and states it as a record', async () => {
    // Prepare
    const asked: string[] = [];
    const kind = stockLevelErpKind(fakeItems(asked));

    // Act
    const level = await kind.find('TENT@BER-1');
    const fact = level && kind.factOf(level);

    // Assess
    expect(asked).toEqual(['level TENT BER-1']);
    expect(fact).toEqual({
      entity: 'stock-level',
      key: 'TENT@BER-1',
      number: 'TENT@BER-1',
      version: 4,
      status: 'OUT_OF_STOCK',
      fields: { available: '0' },
      updatedAt: '2026-11-27T10:00:00.000Z',
    });
  });

  it('asks the ERP nothing for a key that is not <sku>@<location>', async () => {
    // Prepare
    const asked: string[] = [];
    const kind = stockLevelErpKind(fakeItems(asked));

    // Act
    const found = await Promise.all(['TENT', '@BER-1', 'TENT@', 'A@B@C'].map((key) => kind.find(key)));

    // Assess
    expect(found).toEqual([undefined, undefined, undefined, undefined]);
    expect(asked).toEqual([]);
  });

  it('refuses a level without a version or with fractional units as unreadable, keeping the row', () => {
    // Prepare
    const kind = stockLevelErpKind(fakeItems([]));
    const level = {
      sku: 'TENT',
      locationId: 'HAM-1',
      available: 2.5,
      version: 3,
      updatedAt: '2026-11-27T10:00:00Z',
    };

    // Act
    const fractional = () => kind.factOf(level);
    const versionless = () =>
      kind.factOf({ ...level, available: 2, version: undefined as unknown as number });

    // Assess
    expect(fractional).toThrow('its available "2.5" is not a whole number');
    expect(versionless).toThrow('it has no version');
    expect(kind.rowOf(level)).toEqual({
      number: 'TENT@HAM-1',
      key: 'TENT@HAM-1',
      available: '2.5',
      version: '3',
      updatedAt: '2026-11-27T10:00:00Z',
    });
  });
});

describe('itemPriceErpKind', () => {
  it('reads a price by its <sku>/<currency> key, its amount and change time in one form', async () => {
    // Prepare
    const asked: string[] = [];
    const kind = itemPriceErpKind(fakeItems(asked));

    // Act
    const price = await kind.find('TENT/EUR');
    const fact = price && kind.factOf(price);

    // Assess
    expect(asked).toEqual(['price TENT EUR']);
    expect(fact).toMatchObject({
      key: 'TENT/EUR',
      version: 5,
      status: 'LISTED',
      fields: { amount: expect.stringMatching(/^19\.90*$/) },
      updatedAt: '2026-11-27T09:00:00.000Z',
    });
  });
});
