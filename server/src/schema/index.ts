import { builder } from './builder.ts';
import './user.ts';
import './template.ts';
import './execution.ts';
import './execute-template.ts';
import './run-template.ts';
import './cancel-execution.ts';
import './execution-logged.ts';
import './analytics.ts';
import './run-export.ts';
import './payment.ts';
import './errors.ts';

export const schema = builder.toSchema();
