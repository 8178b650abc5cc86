package scanflow

import sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

func inputOf(ev sfntypes.HistoryEvent) *string {
	switch {
	case ev.StateEnteredEventDetails != nil:
		return ev.StateEnteredEventDetails.Input
	case ev.ExecutionStartedEventDetails != nil:
		return ev.ExecutionStartedEventDetails.Input
	}
	return nil
}

func outputOf(ev sfntypes.HistoryEvent) *string {
	switch {
	case ev.StateExitedEventDetails != nil:
		return ev.StateExitedEventDetails.Output
	case ev.ExecutionSucceededEventDetails != nil:
		return ev.ExecutionSucceededEventDetails.Output
	}
	return nil
}
