/** One research task: a question for the planner and the angles its sub-agents each look into. */
export interface ResearchTask {
  readonly title: string;
  readonly angles: readonly string[];
}

/** The five tasks of the `pnpm start` agent: 6 to 10 sub-agents each, 50 calls in all. */
export const researchTasks: readonly ResearchTask[] = [
  {
    title: 'Heat-pump adoption in the Nordic countries since 2015',
    angles: [
      'subsidies',
      'electricity prices',
      'installer capacity',
      'cold-climate performance',
      'building codes',
      'public opinion',
    ],
  },
  {
    title: 'Failure modes of lithium iron phosphate batteries in grid storage',
    angles: [
      'thermal runaway',
      'calendar ageing',
      'cycle ageing',
      'BMS faults',
      'manufacturing defects',
      'fire codes',
      'insurance data',
      'field incidents',
    ],
  },
  {
    title: 'The economics of small modular reactors',
    angles: [
      'capital cost',
      'construction time',
      'licensing',
      'fuel supply',
      'waste',
      'financing',
      'learning rates',
      'site selection',
      'grid integration',
      'public acceptance',
    ],
  },
  {
    title: 'Desalination energy use and brine disposal',
    angles: [
      'reverse osmosis efficiency',
      'energy recovery devices',
      'brine ecology',
      'zero liquid discharge',
      'solar coupling',
      'water prices',
      'membrane fouling',
    ],
  },
  {
    title: 'Urban heat islands and tree-canopy policy',
    angles: [
      'surface temperatures',
      'mortality data',
      'canopy targets',
      'species choice',
      'maintenance budgets',
      'equity',
      'cool roofs',
      'stormwater co-benefits',
      'measurement methods',
    ],
  },
];
