/**
 * The contract every ERP connector with an item register must honour: run describeErpItemPortContract with a factory
 * for the connector under test and the ERP's own way to book a stock movement and set a price (the port only reads).
 */
import { randomUUID } from 'node:crypto';
import type { ErpItemPort } from '../../functions/shared/erp/erp-item-port';

/** What the contract needs of the ERP under test besides the port. */
export interface ErpItemBooks {
  port: ErpItemPort;
  /** Creates an item with a price (the ERP's item admin). */
  createItem(sku: string, prices: Record<string, string>): Promise<void>;
  /** Books a stock movement of one line (the ERP's goods receipt). */
  moveStock(sku: string, locationId: string, quantity: number): Promise<void>;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Registers the contract's tests; `connect` gives the port and the books (called once, before the tests). */
export function describeErpItemPortContract(name: string, connect: () => Promise<ErpItemBooks>): void {
  describe(`ErpItemPort contract: ${name}`, () => {
    let books: ErpItemBooks;
    const sku = () => `CT-${randomUUID().slice(0, 8)}`;

    beforeAll(async () => {
      books = await connect();
    });

    afterAll(async () => {
      await books.close();
    });

    it('lists the levels and prices changed in a window, each with its version and change time', async () => {
      // Prepare: a level changed before the window, one in it.
      const [before, inside] = [sku(), sku()];
      await books.createItem(before, { EUR: '10.00' });
      await books.createItem(inside, { EUR: '12.50' });
      await books.moveStock(before, 'BER-1', 3);
      await sleep(5);
      const fromIso = new Date().toISOString();
      await sleep(5);
      await books.moveStock(inside, 'BER-1', 4);
      await books.moveStock(inside, 'BER-1', -1);
      await sleep(5);
      const toIso = new Date().toISOString();

      // Act
      const levels = await books.port.listStockLevels({ fromIso, toIso });
      const prices = await books.port.listPrices({ fromIso, toIso });

      // Assess
      expect(levels.filter((level) => [before, inside].includes(level.sku))).toEqual([
        {
          sku: inside,
          locationId: 'BER-1',
          available: 3,
          version: expect.any(Number),
          updatedAt: expect.any(String),
        },
      ]);
      const [listed] = levels.filter((level) => level.sku === inside);
      expect(Date.parse(listed?.updatedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(fromIso));
      expect(Date.parse(listed?.updatedAt ?? '')).toBeLessThan(Date.parse(toIso));
      expect(prices.filter((price) => [before, inside].includes(price.sku))).toEqual([]);
    });

    it('finds one level and one price by key, at the version the listing gives', async () => {
      // Prepare
      const item = sku();
      await books.createItem(item, { USD: '19.90' });
      await books.moveStock(item, 'HAM-1', 8);

      // Act
      const level = await books.port.findStockLevel(item, 'HAM-1');
      const price = await books.port.findPrice(item, 'USD');
      const listed = await books.port.listStockLevels({
        fromIso: new Date(Date.now() - 60_000).toISOString(),
        toIso: new Date(Date.now() + 60_000).toISOString(),
      });

      // Assess
      expect(level).toMatchObject({ sku: item, locationId: 'HAM-1', available: 8 });
      expect(listed.find((candidate) => candidate.sku === item)).toEqual(level);
      expect(price).toMatchObject({ sku: item, currency: 'USD', version: expect.any(Number) });
      expect(Number(price?.amount)).toBe(19.9);
      expect(Number.isNaN(Date.parse(price?.updatedAt ?? ''))).toBe(false);
    });

    it('answers undefined for a level or a price the ERP does not book', async () => {
      // Prepare
      const item = sku();
      await books.createItem(item, { EUR: '1.00' });

      // Act
      const level = await books.port.findStockLevel(item, 'NOWHERE');
      const price = await books.port.findPrice(item, 'JPY');
      const unknown = await books.port.findStockLevel(sku(), 'BER-1');

      // Assess
      expect([level, price, unknown]).toEqual([undefined, undefined, undefined]);
    });
  });
}
