def test_a_consultation_walks_to_completed(consultation_at):
    assert consultation_at("completed").status == "completed"
