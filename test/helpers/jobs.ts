/** A one-model project with the given kiln_jobs.yml, for the orchestrator's tests. */
import { writeProject } from './cli.js';

export const jobsProject = (jobs: string): string =>
  writeProject({
    'dbt_project.yml': 'name: tiny\nprofile: tiny\nconfig-version: 2\n',
    'models/m.sql': 'select 1 as x',
    'kiln_jobs.yml': jobs,
  });
