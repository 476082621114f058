import { demoUserId } from '../auth/authenticator.ts';
import type { Database } from '../db/database.ts';

export const DEMO_OWNER = { id: demoUserId('demo-owner'), name: 'Demo Owner' };

/**
 * Demo data for a fresh development database: a demo owner and two templates, one free and
 * one priced. Runs as the migrating role (an admin task, not a request), and only once.
 */
export async function seedDemoData(db: Database): Promise<boolean> {
  if ((await db.prisma.template.count()) > 0) return false;
  await db.prisma.user.upsert({ where: { id: DEMO_OWNER.id }, create: DEMO_OWNER, update: {} });
  const server = await db.prisma.server.create({
    data: { name: 'Demo templates', registeredById: DEMO_OWNER.id, verifiedOwnerId: DEMO_OWNER.id },
  });
  await db.prisma.template.createMany({
    data: [
      {
        serverId: server.id,
        name: 'Explain like I am five',
        description:
          'A clear, friendly explanation of any topic for a curious five-year-old. Free.',
        prompt: 'Explain {{topic}} to a curious five-year-old in three short paragraphs.',
        variables: [
          { name: 'topic', description: 'What to explain', required: true, default: null },
        ],
        model: 'claude-haiku-4-5',
        maxTokens: 400,
        priceUsdc: '0',
        payTo: `0x${'0'.repeat(40)}`,
        network: 'eip155:84532',
      },
      {
        serverId: server.id,
        name: 'Product description writer',
        description: 'Turns a product name and a few facts into a crisp store description.',
        prompt:
          'Write a {{tone}} product description (under 120 words) for "{{product}}". Facts: {{facts}}',
        variables: [
          { name: 'product', description: 'Product name', required: true, default: null },
          {
            name: 'facts',
            description: 'Key facts, comma separated',
            required: true,
            default: null,
          },
          { name: 'tone', description: 'Voice of the copy', required: false, default: 'warm' },
        ],
        model: 'claude-sonnet-5',
        maxTokens: 600,
        priceUsdc: '0.01',
        payTo: '0x5c0d1e5bd0000000000000000000000000000001',
        network: 'eip155:84532',
      },
    ],
  });
  return true;
}
