/** Writing a report: whole or not at all, only as a regular file (see src/outfile.ts). */
export { writeWhole as writeReport } from '../outfile.js';
