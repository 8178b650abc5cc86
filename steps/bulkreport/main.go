// Command bulkreport is the Lambda behind the bulk workflow's Summarize step
// (handler: workflow.Deps.BulkSummarize).
package main

import "github.com/lambdascan/lambdascan/shared/workflow"

func main() { workflow.Start(workflow.StepBulkReport) }
